package io.sentiflow.model.trust;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Base64;

/**
 * A model version's {@value #FILE}: the Ed25519 signature of its {@code manifest.json} bytes, which
 * hold every other file's SHA-256 — so one signature covers the whole version.
 *
 * @param algorithm always {@value Keys#ALGORITHM}
 * @param keyId the id of the signing key ({@link Keys#id})
 * @param signature the signature of the manifest's bytes, Base64
 */
public record ModelSignature(String algorithm, String keyId, String signature) {
    public static final String FILE = "signature.json";

    /** What is signed starts with this, then the manifest's bytes: no other signature fits. */
    public static final String CONTEXT = "sentiflow/model-manifest/v1\n";

    /** The bytes a signature covers: {@value #CONTEXT} and the manifest. */
    static byte[] signed(byte[] manifest) {
        byte[] context = CONTEXT.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] content = java.util.Arrays.copyOf(context, context.length + manifest.length);
        System.arraycopy(manifest, 0, content, context.length, manifest.length);
        return content;
    }

    /** The largest signature file read. */
    public static final int MAX_BYTES = 4096;

    private static final ObjectMapper MAPPER =
            new ObjectMapper()
                    .enable(SerializationFeature.INDENT_OUTPUT)
                    .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Signs a manifest's bytes with a private key whose public key is {@code publicKey}. */
    public static ModelSignature sign(byte[] manifest, PrivateKey key, PublicKey publicKey) {
        byte[] signature = Keys.sign(key, signed(manifest));
        if (!Keys.verify(publicKey, signed(manifest), signature)) {
            throw new IllegalArgumentException(
                    "the public key beside the private key is not its own: check NAME.pub");
        }
        return new ModelSignature(
                Keys.ALGORITHM, Keys.id(publicKey), Base64.getEncoder().encodeToString(signature));
    }

    /** Signs with a private key file, whose {@code .pub} lies beside it. */
    public static ModelSignature sign(byte[] manifest, Path privateKeyFile) throws IOException {
        return sign(
                manifest, Keys.readPrivate(privateKeyFile).key(), Keys.publicOf(privateKeyFile));
    }

    public static ModelSignature parse(byte[] bytes, String source) throws IOException {
        try {
            return MAPPER.readValue(bytes, ModelSignature.class);
        } catch (IOException e) {
            throw new IOException("invalid " + source + ": " + e.getMessage(), e);
        }
    }

    public byte[] toBytes() {
        try {
            return MAPPER.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The trusted key's name that signed {@code manifest}.
     *
     * @throws TrustedKeys.UntrustedException when the signature is not a trusted key's
     */
    public String verify(byte[] manifest, TrustedKeys trusted, String what)
            throws TrustedKeys.UntrustedException {
        if (!Keys.ALGORITHM.equals(algorithm)) {
            throw new TrustedKeys.UntrustedException(
                    TrustedKeys.Problem.INVALID,
                    what + " is signed with an algorithm other than " + Keys.ALGORITHM);
        }
        return trusted.verify(signed(manifest), keyId, signature, what);
    }
}
