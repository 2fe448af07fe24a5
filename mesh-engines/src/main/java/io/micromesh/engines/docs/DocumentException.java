package io.micromesh.engines.docs;

/** A document that cannot be converted; the message says why (encrypted, empty, not a PDF, too long). */
public final class DocumentException extends RuntimeException {

    public DocumentException(String reason) {
        super(reason, null, false, false);
    }
}
