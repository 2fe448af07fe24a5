package io.micromesh.core.dispatch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micromesh.api.Json;
import io.micromesh.api.JsonBody;
import io.micromesh.api.MeshRequest;
import io.micromesh.core.MeshException;
import io.micromesh.core.spi.Backend;
import io.micromesh.core.spi.BackendHealth;
import io.micromesh.core.spi.BackendReply;
import io.micromesh.core.spi.ChunkSink;
import io.micromesh.core.spi.Usage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * An in-process stand-in for a model server, at the backend port: it answers a fixed text (or a
 * stream of it in words), fails with the failures queued for it, and may be down. It stands for the
 * external server so that the dispatcher and the router can be tested where they live; the real
 * backends are tested against real servers in mesh-engines. Used by one test at a time.
 */
public final class ModelServerStandIn implements Backend {

    private final String name;
    private final Deque<MeshException> failures = new ArrayDeque<>();
    private final List<MeshRequest> received = new ArrayList<>();
    private String answer = "an answer";
    private Usage tokens = new Usage(10, 5);
    private BackendHealth health = BackendHealth.ready("up");
    private int failAfterChunks = -1;

    public ModelServerStandIn(String name) {
        this.name = name;
    }

    /** Answers this text, counted as these tokens. */
    public ModelServerStandIn answers(String text, Usage counted) {
        this.answer = text;
        this.tokens = counted;
        return this;
    }

    /** Fails the next requests with these failures, in order, then answers again. */
    public ModelServerStandIn failsWith(MeshException... next) {
        failures.addAll(List.of(next));
        return this;
    }

    /** Breaks a stream after this many chunks. */
    public ModelServerStandIn breaksStreamAfter(int chunks) {
        this.failAfterChunks = chunks;
        return this;
    }

    public ModelServerStandIn health(BackendHealth state) {
        this.health = state;
        return this;
    }

    /** The requests it received. */
    public List<MeshRequest> received() {
        return received;
    }

    @Override
    public BackendReply call(MeshRequest request) {
        received.add(request);
        if (!failures.isEmpty()) {
            throw failures.poll();
        }
        ObjectNode body = Json.object().put("id", "up-1").put("object", "chat.completion").put("model", name + "-upstream");
        body.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop").putObject("message")
                .put("role", "assistant").put("content", answer);
        tokens.writeTo(body.putObject("usage"));
        // as an OpenAI server's bytes, the way remote backends hand answers on
        return new BackendReply(JsonBody.of(Json.bytes(body)), tokens, name + "-replica");
    }

    @Override
    public Usage stream(MeshRequest request, ChunkSink sink) {
        received.add(request);
        if (!failures.isEmpty()) {
            throw failures.poll();
        }
        sink.servedBy(name + "-replica");
        String[] words = answer.split(" ");
        for (int i = 0; i < words.length; i++) {
            if (i == failAfterChunks) {
                throw MeshException.of(MeshException.Failure.BROKEN_STREAM, name + " broke the stream", null);
            }
            ObjectNode chunk = Json.object().put("id", "up-1").put("object", "chat.completion.chunk").put("model", "x");
            chunk.putArray("choices").addObject().put("index", 0).putObject("delta").put("content", words[i] + " ");
            sink.send(chunk);
        }
        return tokens;
    }

    @Override
    public BackendHealth health() {
        return health;
    }

    @Override
    public void close() {
    }
}
