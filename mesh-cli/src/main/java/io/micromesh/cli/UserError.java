package io.micromesh.cli;

/** A mistake of the user (a bad file, a bad option): printed as one line, exit status 2. */
final class UserError extends RuntimeException {

    UserError(String message) {
        super(message, null, false, false);
    }
}
