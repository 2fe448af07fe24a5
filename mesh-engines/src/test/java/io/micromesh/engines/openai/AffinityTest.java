package io.micromesh.engines.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Affinity keys are spread evenly over replicas, stay where they were put, and move when their replica goes. */
class AffinityTest {

    @Test
    void keysAreBalancedAndSticky() {
        Affinity<String> affinity = new Affinity<>(Function.identity());
        List<String> both = List.of("a", "b");
        List<String> owners = List.of("s0", "s1", "s2", "s3").stream().map(k -> affinity.replicaOf(k, both)).toList();
        assertThat(owners).containsExactly("a", "b", "a", "b");
        for (int round = 0; round < 3; round++) {
            assertThat(List.of("s3", "s0", "s2", "s1").stream().map(k -> affinity.replicaOf(k, both)).toList())
                    .containsExactly("b", "a", "a", "b");
        }
    }

    @Test
    void aKeyWhoseReplicaIsGoneMovesAndStaysMoved() {
        Affinity<String> affinity = new Affinity<>(Function.identity());
        assertThat(affinity.replicaOf("s0", List.of("a", "b"))).isEqualTo("a");
        assertThat(affinity.replicaOf("s0", List.of("b"))).isEqualTo("b");
        assertThat(affinity.replicaOf("s0", List.of("a", "b"))).isEqualTo("b");
        assertThat(affinity.replicaOf("s1", List.of("a", "b"))).as("a holds no key now").isEqualTo("a");
    }
}
