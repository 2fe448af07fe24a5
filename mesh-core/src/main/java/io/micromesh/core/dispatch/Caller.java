package io.micromesh.core.dispatch;

import io.micromesh.core.accounting.Grant;
import java.util.regex.Pattern;

/**
 * Whom a request is served for, as accounting sees it: the API key it came with and what that key
 * may use, and the agent workflow it belongs to ({@code x-mesh-workflow}), whose requests are
 * counted — and, with a cap, limited — together.
 *
 * @param keyId       the id of the caller's API key; {@link #ANONYMOUS} when the gateway has no keys
 * @param workflowId  the workflow the request belongs to, empty when none
 * @param grant       what the key may use
 * @param workflowCap the cap on the workflow's total spending the request states, {@link Cap#NONE} when none
 */
public record Caller(String keyId, String workflowId, Grant grant, Cap workflowCap) {

    /** Who asks when the gateway has no API key. */
    public static final String ANONYMOUS = "anonymous";

    /** What a workflow id or a task ({@code x-mesh-task}) may be: short and printable, since it is stored and shown. */
    public static final Pattern LABEL = Pattern.compile("[A-Za-z0-9._:/+=-]{1,128}");

    /**
     * A cap on a workflow's total cost and energy ({@code x-mesh-workflow-budget-usd}, {@code -wh}).
     *
     * @param usd US dollars, or null for no cap
     * @param wh  watt-hours, or null for no cap
     */
    public record Cap(Double usd, Double wh) {
        /** No cap. */
        public static final Cap NONE = new Cap(null, null);

        /** Whether it caps anything. */
        public boolean any() {
            return usd != null || wh != null;
        }
    }

    public Caller {
        if (keyId == null || keyId.isBlank()) {
            throw new IllegalArgumentException("a caller needs a key id");
        }
        workflowId = workflowId == null ? "" : workflowId;
        if (!workflowId.isEmpty() && !LABEL.matcher(workflowId).matches()) {
            throw new IllegalArgumentException("a workflow id is 1 to 128 letters, digits or ._:/+=-");
        }
        grant = grant == null ? Grant.UNLIMITED : grant;
        workflowCap = workflowCap == null ? Cap.NONE : workflowCap;
        if (workflowCap.any() && workflowId.isEmpty()) {
            throw new IllegalArgumentException("a workflow cap needs a workflow id");
        }
    }

    /** A caller without limits, outside any workflow. */
    public static Caller key(String keyId) {
        return new Caller(keyId, "", Grant.UNLIMITED, Cap.NONE);
    }

    /** Whether anything must be reserved for this caller's requests. */
    public boolean limited() {
        return grant.budgeted() || grant.rateLimited() || workflowCap.any();
    }
}
