package io.micromesh.core;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The models a gateway serves, by id, in configuration order. Owns their backends: closing the
 * portfolio closes them. Thread-safe once built.
 */
public final class Portfolio implements AutoCloseable {

    private final Map<String, ServedModel> models;

    public Portfolio(List<ServedModel> models) {
        Map<String, ServedModel> byId = new LinkedHashMap<>();
        for (ServedModel model : models) {
            if (byId.putIfAbsent(model.id(), model) != null) {
                throw new IllegalArgumentException("model id '" + model.id() + "' appears twice");
            }
        }
        this.models = byId;
    }

    /** The model with this id, if served. */
    public Optional<ServedModel> model(String id) {
        return Optional.ofNullable(models.get(id));
    }

    /** Every model, in configuration order. */
    public List<ServedModel> models() {
        return List.copyOf(models.values());
    }

    /** Closes every backend; a failure of one does not stop the others from closing. */
    @Override
    public void close() {
        RuntimeException first = null;
        for (ServedModel model : models.values()) {
            try {
                model.backend().close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
