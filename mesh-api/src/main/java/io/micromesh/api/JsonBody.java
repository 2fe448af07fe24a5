package io.micromesh.api;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A JSON object body held in whichever form it was made: the bytes an upstream sent (passed on
 * without building a tree) or a tree micromesh built, each turned into the other only when someone
 * asks. Answers on the request path are mostly forwarded as bytes; cascades, tasks and checks read
 * trees. Not thread-safe: a body belongs to one request.
 */
public final class JsonBody {

    private byte[] json;
    private ObjectNode tree;

    private JsonBody(byte[] json, ObjectNode tree) {
        this.json = json;
        this.tree = tree;
    }

    /** A body from its UTF-8 bytes, which must hold one JSON object (checked when a tree is asked for). */
    public static JsonBody of(byte[] json) {
        return new JsonBody(json, null);
    }

    /** A body from a tree; the caller must not change the tree after handing it over. */
    public static JsonBody of(ObjectNode tree) {
        return new JsonBody(null, tree);
    }

    /** Whether a tree is at hand (it was made as one, or parsed since): changing it is then cheaper than rewriting the bytes. */
    public boolean hasTree() {
        return tree != null;
    }

    /** The UTF-8 bytes, serialized from the tree once when it was made as one. */
    public byte[] bytes() {
        if (json == null) {
            json = Json.bytes(tree);
        }
        return json;
    }

    /**
     * The tree, parsed from the bytes once when it was made from bytes. Changing it does not change
     * {@link #bytes()} once those exist: take the tree before the bytes, or make a new body.
     *
     * @throws ApiException when the bytes are not one JSON object
     */
    public ObjectNode tree() {
        if (tree == null) {
            tree = Json.parseObject(json);
        }
        return tree;
    }
}
