package dev.openbatch.core.keys;

import java.util.Optional;

/** The API keys a deployment accepts, looked up by the hash of the key. */
public interface KeyStore {

    /**
     * The key whose {@link ApiKeys#hash hash} this is, revoked or not; empty when no such key was
     * ever issued.
     */
    Optional<ApiKey> find(String keyHash);
}
