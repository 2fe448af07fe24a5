package io.micromesh.engines.pull;

import java.nio.file.Path;

/** What a pull did: found the file already there, or downloaded it. */
public sealed interface PullResult {

    /** The model file, at its final name. */
    Path file();

    /**
     * The file was already at its final name; nothing was fetched.
     *
     * @param verified whether its SHA-256 was checked (it is when a digest was given)
     */
    record AlreadyPresent(Path file, boolean verified) implements PullResult {
    }

    /**
     * The file was downloaded, verified when a digest was known, and moved to its final name.
     *
     * @param bytes       its size
     * @param resumedFrom bytes that an earlier, interrupted pull had already fetched (0 when none)
     * @param sha256      its SHA-256, in lower-case hex
     * @param verifiedBy  what the digest was checked against ({@code "--sha256"}, {@code "x-linked-etag"},
     *                    both joined by {@code " and "}), or empty when the source gave none
     */
    record Downloaded(Path file, long bytes, long resumedFrom, String sha256, String verifiedBy) implements PullResult {

        public Downloaded {
            if (bytes < 0 || resumedFrom < 0 || resumedFrom > bytes) {
                throw new IllegalArgumentException("resumedFrom " + resumedFrom + " is not within 0.." + bytes);
            }
        }
    }
}
