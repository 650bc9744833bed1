package io.sentiflow.model.trust;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The public keys whose signatures are trusted, by key id. Read once from {@code .pub} files (on
 * the machine that builds the job graph) and carried with the job, so TaskManagers need no key
 * files. At most {@value #MAX_KEYS} keys.
 */
public final class TrustedKeys implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The most trusted keys one setting may name. */
    public static final int MAX_KEYS = 64;

    /** Why a signature is not trusted. */
    public enum Problem {
        /** There is no signature. */
        UNSIGNED,
        /** The signature names a key that is not trusted, or does not verify with it. */
        INVALID
    }

    /** A signature that is missing, from an untrusted key, or wrong. */
    public static final class UntrustedException extends IOException {
        private static final long serialVersionUID = 1L;
        private final Problem problem;

        UntrustedException(Problem problem, String message) {
            super(message);
            this.problem = problem;
        }

        public Problem problem() {
            return problem;
        }
    }

    private record Trusted(String name, byte[] encoded) implements Serializable {}

    private final Map<String, Trusted> byId;

    private TrustedKeys(Map<String, Trusted> byId) {
        this.byId = Collections.unmodifiableMap(byId);
    }

    /**
     * The keys in a comma-separated list of {@code .pub} files and directories (every {@code *.pub}
     * file directly in them); null or blank: none.
     *
     * @return null when {@code spec} names nothing
     * @throws IOException when a named file is missing or not a key, or there are too many keys
     */
    public static TrustedKeys read(String spec) throws IOException {
        if (spec == null || spec.isBlank()) {
            return null;
        }
        List<Path> files = new ArrayList<>();
        for (String part : spec.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            Path path = Path.of(part.strip());
            if (Files.isDirectory(path)) {
                try (DirectoryStream<Path> keys =
                        Files.newDirectoryStream(path, "*" + Keys.PUBLIC_SUFFIX)) {
                    for (Path key : keys) {
                        files.add(key);
                        if (files.size() > MAX_KEYS) {
                            break;
                        }
                    }
                }
            } else {
                files.add(path);
            }
            if (files.size() > MAX_KEYS) {
                throw new IOException(spec + " names more than " + MAX_KEYS + " keys");
            }
        }
        if (files.isEmpty()) {
            throw new IOException("no public key (" + Keys.PUBLIC_SUFFIX + " file) in " + spec);
        }
        if (files.size() > MAX_KEYS) {
            throw new IOException(spec + " names " + files.size() + " keys, more than " + MAX_KEYS);
        }
        Map<String, Trusted> byId = new TreeMap<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Path file : files) {
            Keys.Named<PublicKey> key = Keys.readPublic(file);
            // A name is what a signer is recorded as: two keys may not share one, nor one key two.
            if (!names.add(key.name())
                    || byId.put(Keys.id(key.key()), new Trusted(key.name(), key.key().getEncoded()))
                            != null) {
                throw new IOException(
                        spec
                                + " names key "
                                + key.name()
                                + " twice (the same name, or the same key under two names)");
            }
        }
        return new TrustedKeys(byId);
    }

    /** The trusted keys' names, by key id. */
    public Map<String, String> names() {
        Map<String, String> names = new TreeMap<>();
        byId.forEach((id, key) -> names.put(id, key.name()));
        return names;
    }

    /**
     * Checks a signature of {@code data}.
     *
     * @param keyId the id of the key that signed, as the signature names it (null: unsigned)
     * @param signature the Ed25519 signature, Base64 (null: unsigned)
     * @param what what was signed, for the message
     * @return the trusted key's name
     * @throws UntrustedException when unsigned, signed by an untrusted key, or the signature does
     *     not verify
     */
    public String verify(byte[] data, String keyId, String signature, String what)
            throws UntrustedException {
        if (keyId == null || signature == null) {
            throw new UntrustedException(
                    Problem.UNSIGNED, what + " is not signed, and only signed ones are trusted");
        }
        Trusted key = byId.get(keyId);
        if (key == null) {
            throw new UntrustedException(
                    Problem.INVALID,
                    what + " is signed by key " + safe(keyId) + ", which is not trusted");
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(signature);
        } catch (IllegalArgumentException e) {
            throw new UntrustedException(Problem.INVALID, what + " has a malformed signature");
        }
        try {
            if (!Keys.verify(Keys.publicKey(key.encoded(), key.name()), data, bytes)) {
                throw new UntrustedException(
                        Problem.INVALID,
                        what + "'s signature by key " + key.name() + " does not verify");
            }
        } catch (UntrustedException e) {
            throw e;
        } catch (IOException e) {
            throw new UntrustedException(Problem.INVALID, "key " + key.name() + " is unusable");
        }
        return key.name();
    }

    /** A key id from outside, shortened and stripped to hex digits for messages. */
    private static String safe(String keyId) {
        String hex = keyId.replaceAll("[^0-9a-fA-F]", "");
        return hex.length() > 16 ? hex.substring(0, 16) + "…" : hex;
    }
}
