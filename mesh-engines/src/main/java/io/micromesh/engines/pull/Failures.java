package io.micromesh.engines.pull;

import io.micromesh.core.MeshException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * Turns a refusal from the server into one line that says what to do.
 *
 * <p>Hugging Face names the cause in an {@code X-Error-Code} header: {@code RepoNotFound},
 * {@code RevisionNotFound}, {@code EntryNotFound} or {@code GatedRepo}. It answers 401, not 404,
 * for a repository that does not exist when no token is sent, so as not to reveal private ones;
 * the messages therefore name both causes.
 */
final class Failures {

    private Failures() {
    }

    static PullException status(PullSource source, URI uri, int status, HttpHeaders headers, boolean tokenSent) {
        String code = headers.firstValue("x-error-code").orElse("");
        String where = source.text() + ": ";
        String answer = " (" + status + " from " + shown(uri) + ")";
        String token = tokenSent
                ? "; the HF_TOKEN sent cannot read it: check the token and that its account was granted access"
                : "; if the repository is gated or private, accept its terms on the hub and set HF_TOKEN to a token that can read it";
        return switch (code) {
            case "EntryNotFound" -> new PullException(where + "no such file in the repository" + answer
                    + "; check the file name and its folder", false);
            case "RevisionNotFound" -> new PullException(where + "no such revision in the repository" + answer, false);
            case "RepoNotFound" -> new PullException(where + "repository not found" + answer
                    + "; check OWNER/REPO" + token, false);
            case "GatedRepo" -> new PullException(where + "the repository is gated" + answer + token, false);
            default -> byStatus(source, where, answer, status, token);
        };
    }

    private static PullException byStatus(PullSource source, String where, String answer, int status, String token) {
        if (status == 404) {
            return new PullException(where + "not found" + answer
                    + (source.fromHub() ? "; check the owner, repository, revision and file name" : ""), false);
        }
        if (status == 401 || status == 403) {
            return new PullException(where + "access refused" + answer
                    + (source.fromHub() ? token : "; the server needs credentials that mesh pull does not send"), false);
        }
        if (MeshException.Failure.ofHttpStatus(status).retriable()) {
            return new PullException(where + "the server is unavailable or busy" + answer + "; try again later", true);
        }
        return new PullException(where + "unexpected answer" + answer, false);
    }

    /** Why a file operation failed, in words: the JDK's own message is often just the path. */
    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or folder: " + e.getMessage();
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied: " + e.getMessage();
        }
        if (e instanceof FileAlreadyExistsException) {
            return "a file is in the way: " + e.getMessage();
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /**
     * A URL fit to show: without its query, which for a CDN holds a signature, and for any URL may
     * hold a secret.
     */
    static String shown(URI uri) {
        return uri.getScheme() + "://" + Download.authority(uri) + (uri.getRawPath() == null ? "" : uri.getRawPath());
    }
}
