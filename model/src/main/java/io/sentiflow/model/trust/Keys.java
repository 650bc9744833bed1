package io.sentiflow.model.trust;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Ed25519 key files, from the JDK alone: a private key is {@code NAME.key} (PKCS#8, PEM, readable
 * by its owner only), its public key {@code NAME.pub} (X.509 SubjectPublicKeyInfo, PEM) — the same
 * files {@code openssl genpkey -algorithm ed25519} and {@code openssl pkey -pubout} write. A key's
 * name is its file name without the extension; its id is the first 16 hex digits of the SHA-256 of
 * its public key's encoding.
 */
public final class Keys {
    public static final String ALGORITHM = "Ed25519";
    public static final String PRIVATE_SUFFIX = ".key";
    public static final String PUBLIC_SUFFIX = ".pub";

    /** The largest key file read: a PEM Ed25519 key has about 120 bytes. */
    static final int MAX_KEY_FILE_BYTES = 4096;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private Keys() {}

    /** A private key and the name it is known by. */
    public record Named<K>(String name, K key) {}

    /** Whether a key name is safe as a file name and an issuer (letters, digits, '.', '_', '-'). */
    public static boolean validName(String name) {
        return name != null && NAME.matcher(name).matches() && !name.contains("..");
    }

    /**
     * Generates a key pair and writes {@code NAME.key} (mode 0600 where the file system has POSIX
     * permissions) and {@code NAME.pub} into {@code directory}; existing files are never replaced.
     *
     * @return the public key's file
     */
    public static Path generate(Path directory, String name) throws IOException {
        if (!validName(name)) {
            throw new IOException(
                    "a key name has 1 to 64 letters, digits, '.', '_' or '-', got '" + name + "'");
        }
        KeyPair pair;
        try {
            pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no " + ALGORITHM, e);
        }
        Files.createDirectories(directory);
        Path privateFile = directory.resolve(name + PRIVATE_SUFFIX);
        Path publicFile = directory.resolve(name + PUBLIC_SUFFIX);
        if (Files.exists(privateFile, LinkOption.NOFOLLOW_LINKS)
                || Files.exists(publicFile, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(
                    "key "
                            + name
                            + " already exists in "
                            + directory
                            + "; keys are never replaced");
        }
        byte[] privatePem = pem("PRIVATE KEY", pair.getPrivate().getEncoded());
        // Created new, owner-only, and written through the same handle: no file swapped in between.
        java.util.Set<StandardOpenOption> options =
                java.util.EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try (java.nio.channels.SeekableByteChannel channel = openOwnerOnly(privateFile, options)) {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(privatePem);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }
        Files.write(
                publicFile,
                pem("PUBLIC KEY", pair.getPublic().getEncoded()),
                StandardOpenOption.CREATE_NEW);
        return publicFile;
    }

    private static java.nio.channels.SeekableByteChannel openOwnerOnly(
            Path file, java.util.Set<StandardOpenOption> options) throws IOException {
        try {
            return Files.newByteChannel(
                    file,
                    options,
                    PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            return Files.newByteChannel(file, options);
        }
    }

    /** Reads a private key file ({@code NAME.key}); its name is the file's. */
    public static Named<PrivateKey> readPrivate(Path file) throws IOException {
        byte[] der = unpem(file, "PRIVATE KEY");
        try {
            PrivateKey key =
                    KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der));
            return new Named<>(nameOf(file, PRIVATE_SUFFIX), key);
        } catch (GeneralSecurityException e) {
            throw new IOException(file + " is not an " + ALGORITHM + " private key", e);
        }
    }

    /** Reads a public key file ({@code NAME.pub}); its name is the file's. */
    public static Named<PublicKey> readPublic(Path file) throws IOException {
        byte[] der = unpem(file, "PUBLIC KEY");
        return new Named<>(nameOf(file, PUBLIC_SUFFIX), publicKey(der, file.toString()));
    }

    static PublicKey publicKey(byte[] der, String source) throws IOException {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IOException(source + " is not an " + ALGORITHM + " public key", e);
        }
    }

    /** The public key of a private one (Ed25519 private keys from the JDK carry none). */
    public static PublicKey publicOf(Path privateFile) throws IOException {
        Path publicFile =
                privateFile.resolveSibling(nameOf(privateFile, PRIVATE_SUFFIX) + PUBLIC_SUFFIX);
        return readPublic(publicFile).key();
    }

    /** The key id: the first 16 hex digits of the SHA-256 of the public key's encoding. */
    public static String id(PublicKey key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no SHA-256 in this JVM", e);
        }
    }

    /** The Ed25519 signature of {@code data}. */
    public static byte[] sign(PrivateKey key, byte[] data) {
        try {
            java.security.Signature signer = java.security.Signature.getInstance(ALGORITHM);
            signer.initSign(key);
            signer.update(data);
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with " + ALGORITHM, e);
        }
    }

    /** Whether {@code signature} is {@code key}'s signature of {@code data}. */
    public static boolean verify(PublicKey key, byte[] data, byte[] signature) {
        try {
            java.security.Signature verifier = java.security.Signature.getInstance(ALGORITHM);
            verifier.initVerify(key);
            verifier.update(data);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static String nameOf(Path file, String suffix) throws IOException {
        String fileName = file.getFileName().toString();
        String name =
                fileName.endsWith(suffix)
                        ? fileName.substring(0, fileName.length() - suffix.length())
                        : fileName;
        if (!validName(name)) {
            throw new IOException(
                    file + ": a key file is named NAME" + suffix + " with a safe NAME");
        }
        return name;
    }

    private static byte[] pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return ("-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] unpem(Path file, String type) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("no key file " + file);
        }
        if (Files.size(file) > MAX_KEY_FILE_BYTES) {
            throw new IOException(file + " is too large for a key file");
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        if (!text.startsWith(begin) || !text.endsWith(end)) {
            throw new IOException(file + " is not a PEM " + type.toLowerCase() + " file");
        }
        try {
            return Base64.getMimeDecoder()
                    .decode(text.substring(begin.length(), text.length() - end.length()));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is not valid PEM", e);
        }
    }
}
