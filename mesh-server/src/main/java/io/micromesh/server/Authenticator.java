package io.micromesh.server;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;

import io.micromesh.api.ApiException;
import io.micromesh.core.accounting.Grant;
import io.micromesh.core.config.ServerSettings;
import io.micromesh.store.KeyStore;
import io.micromesh.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import java.util.Optional;

/**
 * Who a request comes from. Three set-ups: no key (everyone is {@code anonymous}); the static
 * {@code server.api-key} (one secret, {@code master}); or {@code server.master-key}, with which the
 * admin API issues keys, each with its own id and grant, and every {@code /v1} request needs the
 * master key or an issued one. Secrets are compared in constant time, or looked up by their hash;
 * no secret is ever logged or echoed. Thread-safe.
 */
final class Authenticator {

    /** An authenticated caller: its key id and what it may use. */
    record Principal(String keyId, Grant grant) {
        static final Principal ANONYMOUS = new Principal(Exchange.ANONYMOUS, Grant.UNLIMITED);
        static final Principal MASTER = new Principal(Exchange.MASTER, Grant.UNLIMITED);
    }

    private final byte[] staticKey;
    private final byte[] masterKey;
    private final Optional<KeyStore> keys;

    Authenticator(ServerSettings settings, Optional<KeyStore> keys) {
        this.staticKey = bytes(settings.apiKey());
        this.masterKey = bytes(settings.masterKey());
        this.keys = keys;
    }

    /** Whether requests need a key at all. */
    boolean required() {
        return staticKey != null || masterKey != null;
    }

    /** Whether the admin API is on: a master key is set and there is a store to keep keys in. */
    boolean adminOn() {
        return masterKey != null && keys.isPresent();
    }

    /**
     * The caller of an API request.
     *
     * @throws ApiException 401 without a valid key; 503 when issued keys cannot be checked
     */
    Principal caller(ServerRequest req) {
        if (!required()) {
            return Principal.ANONYMOUS;
        }
        String secret = bearer(req).orElseThrow(() -> unauthorized());
        byte[] given = secret.getBytes(StandardCharsets.UTF_8);
        if (staticKey != null) {
            if (MessageDigest.isEqual(given, staticKey)) {
                return Principal.MASTER;
            }
            throw unauthorized();
        }
        if (MessageDigest.isEqual(given, masterKey)) {
            return Principal.MASTER;
        }
        if (keys.isEmpty()) {
            throw unauthorized();
        }
        try {
            return keys.get().authenticate(secret).map(key -> new Principal(key.id(), key.grant()))
                    .orElseThrow(Authenticator::unauthorized);
        } catch (StoreException e) {
            throw Failures.storeUnavailable("API keys cannot be checked now: the store cannot be reached; retry later.");
        }
    }

    /**
     * Checks that an admin request carries the master key.
     *
     * @throws ApiException 404 when the admin API is off, 401 without the master key
     */
    void admin(ServerRequest req) {
        if (!adminOn()) {
            throw ApiException.notFound("The admin API is off: set server.master-key (for example to ${MESH_MASTER_KEY}) to"
                    + " turn it on.");
        }
        boolean master = bearer(req).map(s -> MessageDigest.isEqual(s.getBytes(StandardCharsets.UTF_8), masterKey))
                .orElse(false);
        if (!master) {
            throw ApiException.unauthorized("The admin API needs the master key: send 'Authorization: Bearer MASTER_KEY'.");
        }
    }

    /**
     * Checks that a request for the dashboard's figures carries the gateway's own key: the master key
     * when one is set, else the static api-key when one is set; without either, anyone may look.
     *
     * @throws ApiException 401 without it
     */
    void dashboard(ServerRequest req) {
        byte[] needed = masterKey != null ? masterKey : staticKey;
        if (needed == null) {
            return;
        }
        boolean ok = bearer(req).map(s -> MessageDigest.isEqual(s.getBytes(StandardCharsets.UTF_8), needed)).orElse(false);
        if (!ok) {
            throw ApiException.unauthorized("The dashboard's figures need the " + (masterKey != null ? "master key" : "api-key")
                    + ": send 'Authorization: Bearer KEY' (the page asks for it).");
        }
    }

    private static Optional<String> bearer(ServerRequest req) {
        return req.headers().first(HeaderNames.AUTHORIZATION)
                .filter(value -> value.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(value -> value.substring(7).strip());
    }

    private static ApiException unauthorized() {
        return ApiException.unauthorized("Missing or wrong API key: send 'Authorization: Bearer KEY' with a key of this"
                + " gateway.");
    }

    private static byte[] bytes(String secret) {
        return secret == null ? null : secret.getBytes(StandardCharsets.UTF_8);
    }
}
