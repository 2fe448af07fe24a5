package io.micromesh.server;

import io.micromesh.core.config.ServerSettings;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's OpenTelemetry: with {@code server.tracing}, an SDK whose spans go in batches to an
 * OTLP/HTTP collector (sampled by ratio, a caller's sampling decision followed); without, the no-op
 * API, which costs nothing. Close it to send the spans still buffered.
 */
final class Telemetry implements AutoCloseable {

    private final OpenTelemetry api;
    private final OpenTelemetrySdk sdk;

    private Telemetry(OpenTelemetry api, OpenTelemetrySdk sdk) {
        this.api = api;
        this.sdk = sdk;
    }

    static Telemetry of(ServerSettings settings) {
        ServerSettings.Tracing tracing = settings.tracing();
        if (tracing == null) {
            return new Telemetry(OpenTelemetry.noop(), null);
        }
        OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder()
                .setEndpoint(tracing.otlpEndpoint().replaceAll("/+$", "") + "/v1/traces")
                .setTimeout(Duration.ofSeconds(10))
                .build();
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
                        io.opentelemetry.api.common.AttributeKey.stringKey("service.name"), tracing.serviceName()))))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(tracing.sampleRatio())))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(Duration.ofSeconds(1)).build())
                .build();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(provider)
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
        return new Telemetry(sdk, sdk);
    }

    /** The API to make spans with (no-op without tracing). */
    OpenTelemetry api() {
        return api;
    }

    /** Whether spans are exported. */
    boolean on() {
        return sdk != null;
    }

    @Override
    public void close() {
        if (sdk != null) {
            sdk.getSdkTracerProvider().shutdown().join(10, TimeUnit.SECONDS);
        }
    }
}
