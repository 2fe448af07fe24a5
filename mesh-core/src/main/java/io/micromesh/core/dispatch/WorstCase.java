package io.micromesh.core.dispatch;

import io.micromesh.api.ChatRequest;
import io.micromesh.api.CompletionRequest;
import io.micromesh.api.EmbeddingRequest;
import io.micromesh.api.Json;
import io.micromesh.api.MeshRequest;
import io.micromesh.core.Portfolio;
import io.micromesh.core.ServedModel;
import io.micromesh.core.accounting.Charge;
import io.micromesh.core.accounting.Spending;
import io.micromesh.core.config.VerifySpec;
import io.micromesh.core.spi.Usage;
import java.util.List;

/**
 * The most a request can use, reserved before it is dispatched so that concurrent requests cannot
 * pass a budget together. Per model: a prompt of at most as many tokens as the body has bytes (a
 * token is at least one byte) and no longer than the model's context, plus {@code max_tokens} (else
 * the model's context, else {@value #COMPLETION_WITHOUT_CONTEXT}) for each of the {@code n} choices,
 * priced by the model's tariff. A fallback route costs at most its dearest candidate (a failed
 * attempt produced nothing to pay for); a cascade may call every tier twice (an answer and a second
 * sample) and the judge once per tier.
 */
final class WorstCase {

    /** The completion bound of a request without {@code max_tokens} to a model without a context window. */
    static final long COMPLETION_WITHOUT_CONTEXT = 32_768;

    private WorstCase() {
    }

    static Spending.Estimate of(MeshRequest request, List<ServedModel> order, VerifySpec verify, Portfolio portfolio) {
        long bodyBytes = Json.bytes(request.body()).length;
        double cost = 0;
        double energy = 0;
        long tokens = 0;
        for (ServedModel model : order) {
            Usage most = most(request, model, bodyBytes);
            Charge charge = model.tariff().charge(most);
            if (verify == null) {
                cost = Math.max(cost, charge.costUsd());
                energy = Math.max(energy, charge.energyWh());
                tokens = Math.max(tokens, most.total());
                continue;
            }
            cost += 2 * charge.costUsd();
            energy += 2 * charge.energyWh();
            tokens += 2 * most.total();
            if (verify.judge() != null) {
                ServedModel judge = portfolio.model(verify.judge().model()).orElse(null);
                if (judge != null) {
                    Usage judged = most(request, judge, bodyBytes + most.completion() + 2048);  // the answer and the judge's own words
                    Charge judging = judge.tariff().charge(judged);
                    cost += judging.costUsd();
                    energy += judging.energyWh();
                    tokens += judged.total();
                }
            }
        }
        return new Spending.Estimate(cost, energy, tokens);
    }

    private static Usage most(MeshRequest request, ServedModel model, long promptBytes) {
        long context = model.spec().contextWindow().map(Integer::longValue).orElse(Long.MAX_VALUE);
        long prompt = Math.min(promptBytes, context);
        long completion = switch (request) {
            case ChatRequest chat -> chat.maxTokens().orElse(bound(context)) * chat.choices();
            case CompletionRequest completions -> completions.maxTokens().orElse(bound(context)) * completions.choices();
            case EmbeddingRequest embeddings -> 0;
            case io.micromesh.api.ResponsesRequest responses -> responses.maxOutputTokens().orElse(bound(context));
        };
        return new Usage(prompt, completion);
    }

    private static long bound(long context) {
        return context == Long.MAX_VALUE ? COMPLETION_WITHOUT_CONTEXT : context;
    }
}
