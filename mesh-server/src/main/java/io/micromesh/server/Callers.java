package io.micromesh.server;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.micromesh.api.ApiException;
import io.micromesh.core.dispatch.Caller;
import java.util.Optional;

/** Whom a request is served for: the key the edge authenticated, and the workflow its headers name. */
final class Callers {

    /** The agent workflow a request belongs to; its requests are counted and capped together. */
    static final HeaderName MESH_WORKFLOW = HeaderNames.create("x-mesh-workflow");
    /** The cap on the workflow's total cost, in US dollars. */
    static final HeaderName WORKFLOW_BUDGET_USD = HeaderNames.create("x-mesh-workflow-budget-usd");
    /** The cap on the workflow's total energy, in watt-hours. */
    static final HeaderName WORKFLOW_BUDGET_WH = HeaderNames.create("x-mesh-workflow-budget-wh");

    private Callers() {
    }

    /**
     * The caller of {@code req}.
     *
     * @throws ApiException 400 when {@code x-mesh-workflow} is not a valid id, or a workflow budget is not
     *         a number of at least 0 or comes without the workflow
     */
    static Caller of(ServerRequest req, Exchange exchange) {
        String workflow = req.headers().first(MESH_WORKFLOW).orElse("").strip();
        if (!workflow.isEmpty() && !Caller.LABEL.matcher(workflow).matches()) {
            throw ApiException.invalidRequest(null, "The header x-mesh-workflow must be 1 to 128 letters, digits or ._:/+=-.");
        }
        Caller.Cap cap = new Caller.Cap(amount(req, WORKFLOW_BUDGET_USD), amount(req, WORKFLOW_BUDGET_WH));
        if (cap.any() && workflow.isEmpty()) {
            throw ApiException.invalidRequest(null, "A workflow budget (x-mesh-workflow-budget-usd or -wh) needs the header"
                    + " x-mesh-workflow naming the workflow it caps.");
        }
        return new Caller(exchange.keyId(), workflow, exchange.grant(), cap);
    }

    /**
     * The task the request names ({@code x-mesh-task}): what {@code rules} routes match and
     * {@code cost-quality} routes learn a prior for; null when absent.
     *
     * @throws ApiException 400 when it is not 1 to 128 letters, digits or {@code ._:/+=-}
     */
    static String task(ServerRequest req) {
        String task = req.headers().first(Responses.MESH_TASK).orElse("").strip();
        if (task.isEmpty()) {
            return null;
        }
        if (!Caller.LABEL.matcher(task).matches()) {
            throw ApiException.invalidRequest(null, "The header x-mesh-task must be 1 to 128 letters, digits or ._:/+=-.");
        }
        return task;
    }

    private static Double amount(ServerRequest req, HeaderName header) {
        Optional<String> value = req.headers().first(header).map(String::strip);
        if (value.isEmpty()) {
            return null;
        }
        try {
            double amount = Double.parseDouble(value.get());
            if (amount >= 0 && Double.isFinite(amount) && !value.get().matches(".*[a-zA-Z].*")) {
                return amount;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.invalidRequest(null, "The header " + header.defaultCase() + " must be a number of at least 0,"
                + " such as 0.25.");
    }
}
