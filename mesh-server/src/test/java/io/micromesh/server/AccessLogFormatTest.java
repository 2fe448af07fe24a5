package io.micromesh.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AccessLogFormatTest {

    @ParameterizedTest
    @CsvSource({"1234567, 1.23", "5000, 0.01", "4000, 0.00", "100000000, 100.00", "10500000, 10.50", "90000, 0.09"})
    void formatsLatencyInMillisecondsWithTwoDecimals(long nanos, String expected) {
        assertThat(EdgeFilter.millis(nanos)).isEqualTo(expected);
    }
}
