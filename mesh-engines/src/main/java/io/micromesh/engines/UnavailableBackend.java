package io.micromesh.engines;

import io.micromesh.api.MeshRequest;
import io.micromesh.core.spi.Backend;
import io.micromesh.core.MeshException;
import io.micromesh.core.spi.BackendHealth;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.core.spi.ChunkSink;
import io.micromesh.core.spi.Usage;
import java.time.Duration;

/**
 * A configured model whose engine this build cannot run: it stays listed, and every request is
 * answered 503 with the reason, so that the configuration format does not change when the engine
 * arrives.
 */
final class UnavailableBackend implements Backend {

    private final String reason;

    UnavailableBackend(String reason) {
        this.reason = reason;
    }

    @Override
    public BackendReply call(MeshRequest request) {
        throw MeshException.unavailable(reason, Duration.ofSeconds(60));
    }

    @Override
    public Usage stream(MeshRequest request, ChunkSink sink) {
        throw MeshException.unavailable(reason, Duration.ofSeconds(60));
    }

    @Override
    public BackendHealth health() {
        return new BackendHealth(BackendHealth.State.UNAVAILABLE, reason);
    }

    @Override
    public void close() {
        // nothing held
    }
}
