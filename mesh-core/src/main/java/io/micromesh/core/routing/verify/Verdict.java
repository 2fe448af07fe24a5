package io.micromesh.core.routing.verify;

/** The result of checking one answer: it passed every check, or the first check it failed and why. */
public sealed interface Verdict {

    /** Whether the answer may be given to the client. */
    boolean passed();

    /** A short ASCII account, fit for a header and the outcome store. */
    String detail();

    /** Every configured check passed. */
    record Passed() implements Verdict {
        @Override
        public boolean passed() {
            return true;
        }

        @Override
        public String detail() {
            return "passed";
        }
    }

    /**
     * A check failed.
     *
     * @param check  which: {@code non-empty}, {@code refusal}, {@code json-schema}, {@code min-mean-logprob},
     *               {@code self-consistency} or {@code judge}
     * @param reason what was wrong
     */
    record Failed(String check, String reason) implements Verdict {
        @Override
        public boolean passed() {
            return false;
        }

        @Override
        public String detail() {
            return check + ": " + reason;
        }
    }
}
