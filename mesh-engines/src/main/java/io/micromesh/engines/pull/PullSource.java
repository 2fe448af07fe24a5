package io.micromesh.engines.pull;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Where a model comes from: the URL to fetch and the local file name it is saved under.
 *
 * <p>{@code hf://OWNER/REPO/PATH} maps to {@code ENDPOINT/OWNER/REPO/resolve/main/PATH}, and
 * {@code hf://OWNER/REPO@REVISION/PATH} to {@code .../resolve/REVISION/PATH}, the URLs that
 * Hugging Face's own client fetches. {@code http://} and {@code https://} URLs are taken as they are.
 *
 * @param text     the source as the user wrote it, for messages
 * @param uri      the URL of the first request
 * @param fileName the last segment of the path, decoded: the name of the local file
 * @param fromHub  whether it is an {@code hf://} source (the hub's error headers then explain failures)
 */
record PullSource(String text, URI uri, String fileName, boolean fromHub) {

    private static final String HF = "hf://";
    private static final Pattern PULL_REQUEST = Pattern.compile("pr/(\\d+)/(.+)");

    PullSource {
        if (fileName.isEmpty() || fileName.equals(".") || fileName.equals("..") || fileName.contains("/")
                || fileName.contains("\\")) {
            throw new PullException("'" + text + "' does not end in a file name", false);
        }
    }

    /**
     * Parses a source.
     *
     * @param hubEndpoint the base URL that {@code hf://} sources map to, without a trailing slash
     * @throws PullException when the source is neither {@code hf://}, {@code https://} nor {@code http://},
     *                       or lacks a part
     */
    static PullSource parse(String text, URI hubEndpoint) {
        String trimmed = text.strip();
        String lower = trimmed.toLowerCase(Locale.ROOT);
        if (lower.startsWith(HF)) {
            return hub(trimmed, trimmed.substring(HF.length()), hubEndpoint);
        }
        if (lower.startsWith("https://") || lower.startsWith("http://")) {
            return url(trimmed);
        }
        throw new PullException("unsupported source '" + text + "': use hf://OWNER/REPO/FILE, https://... or http://...",
                false);
    }

    private static PullSource hub(String text, String rest, URI endpoint) {
        String[] parts = rest.split("/", 3);
        if (parts.length < 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty() || parts[2].endsWith("/")) {
            throw new PullException("'" + text + "' is not hf://OWNER/REPO/FILE (or hf://OWNER/REPO@REVISION/FILE)", false);
        }
        String repo = parts[1];
        String file = parts[2];
        String revision = "main";
        int at = repo.indexOf('@');
        if (at >= 0) {
            revision = repo.substring(at + 1);
            repo = repo.substring(0, at);
            if (repo.isEmpty() || revision.isEmpty()) {
                throw new PullException("'" + text + "' is not hf://OWNER/REPO@REVISION/FILE", false);
            }
            // A revision is one segment of the source; one with slashes is written percent-encoded
            // (@refs%2Fconvert%2Fgguf), except pull-request refs, written as they are (@refs/pr/1),
            // as Hugging Face's own hf:// file system reads them.
            Matcher pr = PULL_REQUEST.matcher(file);
            if (revision.equals("refs") && pr.matches()) {
                revision = "refs/pr/" + pr.group(1);
                file = pr.group(2);
            }
            revision = decoded(text, revision);
        }
        // The revision is one path segment of the URL, quoted as Hugging Face's client quotes it
        // (refs%2Fpr%2F1); the file path keeps its slashes (folders of the repository).
        String path = "/" + segment(parts[0]) + "/" + segment(repo) + "/resolve/" + segment(revision) + "/"
                + Arrays.stream(file.split("/")).map(PullSource::segment).collect(Collectors.joining("/"));
        URI uri = URI.create(endpoint + path);
        file = file.substring(file.lastIndexOf('/') + 1);
        return new PullSource(text, uri, file, true);
    }

    private static PullSource url(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new PullException("'" + text + "' is not a valid URL: " + e.getReason(), false);
        }
        if (uri.getHost() == null) {
            throw new PullException("'" + text + "' has no host", false);
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String last = path.substring(path.lastIndexOf('/') + 1);
        return new PullSource(text, uri, URI.create("/" + last).getPath().substring(1), false);
    }

    private static String decoded(String text, String revision) {
        try {
            return URLDecoder.decode(revision.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new PullException("'" + text + "': bad percent-encoding in revision '" + revision + "'", false);
        }
    }

    /** One URL path segment, percent-encoded (a space as {@code %20}, not {@code +}). */
    private static String segment(String raw) {
        return URLEncoder.encode(raw, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
