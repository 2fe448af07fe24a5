package io.micromesh.jobs;

import java.io.IOException;
import java.util.Map;

/** Where a job's requests go: an OpenAI-compatible server, micromesh's gateway first of all. */
public interface ItemSender extends AutoCloseable {

    /** A server's answer: its HTTP status and body. */
    record Reply(int status, String body) {
    }

    /**
     * Sends one request and waits for the whole answer (never a stream).
     *
     * @param path    the API path, for example {@code /v1/chat/completions}
     * @param headers extra request headers; {@code content-type} replaces the default {@code application/json}
     * @throws IOException when the server cannot be reached or the connection breaks: retriable
     */
    Reply send(String path, byte[] body, Map<String, String> headers) throws IOException;

    /** The route and model names the server serves ({@code GET /v1/models}). */
    java.util.List<String> models() throws IOException;

    @Override
    void close();
}
