package io.micromesh.api;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * A {@code multipart/form-data} body built whole in memory, for OpenAI's audio endpoints. Written
 * here rather than with Helidon's multipart writer because that one streams the body chunked, and
 * some servers of the OpenAI audio API (Python ones among them) want a {@code Content-Length}; a
 * form of a few text fields and one file is a few lines of RFC 7578. Not thread-safe.
 */
public final class MultipartForm {

    private final String boundary = "micromesh-" + UUID.randomUUID();
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    /** Adds a text field; a null value adds nothing. */
    public MultipartForm field(String name, String value) {
        if (value != null) {
            write("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n");
        }
        return this;
    }

    /** Adds a file. */
    public MultipartForm file(String name, String fileName, String contentType, byte[] content) {
        write("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + fileName
                + "\"\r\nContent-Type: " + contentType + "\r\n\r\n");
        body.writeBytes(content);
        write("\r\n");
        return this;
    }

    /** The Content-Type header's value. */
    public String contentType() {
        return "multipart/form-data; boundary=" + boundary;
    }

    /** The whole body, closed by the final boundary. */
    public byte[] bytes() {
        ByteArrayOutputStream copy = new ByteArrayOutputStream(body.size() + boundary.length() + 8);
        copy.writeBytes(body.toByteArray());
        copy.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return copy.toByteArray();
    }

    private void write(String text) {
        body.writeBytes(text.getBytes(StandardCharsets.UTF_8));
    }
}
