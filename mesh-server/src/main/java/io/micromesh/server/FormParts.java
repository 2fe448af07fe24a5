package io.micromesh.server;

import io.helidon.webserver.http.ServerRequest;
import io.micromesh.api.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.fileupload2.core.AbstractFileUpload;
import org.apache.commons.fileupload2.core.DiskFileItem;
import org.apache.commons.fileupload2.core.DiskFileItemFactory;
import org.apache.commons.fileupload2.core.FileItemInput;
import org.apache.commons.fileupload2.core.FileItemInputIterator;
import org.apache.commons.fileupload2.core.RequestContext;

/**
 * Reads a {@code multipart/form-data} body part by part, as it arrives, with Apache Commons
 * FileUpload's stream parser; the parts together may hold at most {@code maxBytes} (413 above).
 * Every problem with the body is a 400 that says what is wrong.
 */
final class FormParts {

    /** One field of the form: its name and its bytes. */
    record Part(String name, byte[] value) {

        /** The value as UTF-8 text, stripped. */
        String text() {
            return new String(value, StandardCharsets.UTF_8).strip();
        }
    }

    private FormParts() {
    }

    /**
     * The parts of the request's form, in order.
     *
     * @param path the endpoint, for messages
     * @throws ApiException 400 when the body is not a readable multipart form, 413 when it is too large
     */
    static List<Part> read(ServerRequest req, long maxBytes, String path) {
        String type = req.headers().contentType().map(Object::toString).orElse("");
        if (!type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            throw ApiException.invalidRequest(null, "POST " + path + " takes multipart/form-data; the Content-Type was '"
                    + type + "'");
        }
        req.headers().contentLength().ifPresent(length -> {
            if (length > maxBytes) {
                throw ApiException.tooLarge(maxBytes);
            }
        });
        List<Part> parts = new ArrayList<>();
        long total = 0;
        try (ConnectionWatch.BodyReading reading = ConnectionWatch.readingBody();
             InputStream body = req.content().inputStream()) {
            FileItemInputIterator items = new Parser().getItemIterator(new Body(type, body));
            while (items.hasNext()) {
                FileItemInput item = items.next();
                byte[] value;
                try (InputStream in = item.getInputStream()) {
                    value = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes - total + 1));
                }
                total += value.length;
                if (total > maxBytes) {
                    throw ApiException.tooLarge(maxBytes);
                }
                parts.add(new Part(item.getFieldName() == null ? "" : item.getFieldName(), value));
            }
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            throw ApiException.invalidRequest(null, "the multipart body cannot be read: " + e.getMessage());
        }
        return parts;
    }

    /** What takes each part of a streamed form. */
    @FunctionalInterface
    interface PartHandler {
        /**
         * @param name     the field's name
         * @param filename the file's name for a file part, else null
         * @param content  the part's bytes, to read now (the next part follows them)
         */
        void part(String name, String filename, InputStream content) throws IOException;
    }

    /**
     * Streams the parts of the request's form to {@code handler}, in order, none held in memory by
     * this reader: for uploads larger than a request body may be.
     *
     * @throws ApiException 400 when the body is not a readable multipart form
     */
    static void stream(ServerRequest req, String path, PartHandler handler) {
        String type = req.headers().contentType().map(Object::toString).orElse("");
        if (!type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            throw ApiException.invalidRequest(null, "POST " + path + " takes multipart/form-data; the Content-Type was '"
                    + type + "'");
        }
        try (ConnectionWatch.BodyReading reading = ConnectionWatch.readingBody();
             InputStream body = req.content().inputStream()) {
            FileItemInputIterator items = new Parser().getItemIterator(new Body(type, body));
            while (items.hasNext()) {
                FileItemInput item = items.next();
                try (InputStream in = item.getInputStream()) {
                    handler.part(item.getFieldName() == null ? "" : item.getFieldName(), item.getName(), in);
                }
            }
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            throw ApiException.invalidRequest(null, "the multipart body cannot be read: " + e.getMessage());
        }
    }

    /** The body as FileUpload reads it: its type (with the boundary) and its stream; its length is not needed. */
    private record Body(String contentType, InputStream stream) implements RequestContext {

        @Override
        public String getCharacterEncoding() {
            return StandardCharsets.UTF_8.name();
        }

        @Override
        public long getContentLength() {
            return -1;
        }

        @Override
        public String getContentType() {
            return contentType;
        }

        @Override
        public InputStream getInputStream() {
            return stream;
        }

        @Override
        public boolean isMultipartRelated() {
            return false;
        }
    }

    /** FileUpload's parser over a {@link Body}; only its streaming iterator is used, nothing is written to disk. */
    private static final class Parser extends AbstractFileUpload<Body, DiskFileItem, DiskFileItemFactory> {

        @Override
        public FileItemInputIterator getItemIterator(Body body) throws IOException {
            return super.getItemIterator((RequestContext) body);
        }

        @Override
        public java.util.Map<String, List<DiskFileItem>> parseParameterMap(Body body) {
            throw new UnsupportedOperationException("parts are streamed, not stored");
        }

        @Override
        public List<DiskFileItem> parseRequest(Body body) {
            throw new UnsupportedOperationException("parts are streamed, not stored");
        }
    }
}
