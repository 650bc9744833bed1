package io.sentiflow.model;

import io.sentiflow.model.trust.ModelSignature;
import io.sentiflow.model.trust.TrustedKeys;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A model directory's files, read into memory and checked against its manifest: what is loaded is
 * exactly the bytes whose SHA-256 was checked, so nothing can change a file between the check and
 * its use.
 *
 * <p>A directory is refused when its manifest is missing or does not list the files a model needs,
 * when a listed file is missing, changed, larger than {@value #MAX_FILE_BYTES} bytes or a symbolic
 * link, or when it holds a file the manifest does not list (an extra {@code textcnn-0001.params}
 * would otherwise be what DJL loads). Besides the listed files only {@code manifest.json}, the
 * registry's {@code RETIRED.json} and real subdirectories (such as {@code evaluation/}, never read)
 * may be there.
 */
public final class VerifiedModel {
    /** The largest file a model may have: it is held in memory while it loads. */
    public static final int MAX_FILE_BYTES = 1 << 30;

    /** The most files a manifest may list (a model has three, and a few more at most). */
    public static final int MAX_FILES = 64;

    /** The most bytes a model's listed files may hold in all: every one is held while it loads. */
    public static final long MAX_TOTAL_BYTES = 2L << 30;

    /** The largest manifest.json read (one is a few kilobytes). */
    public static final int MAX_MANIFEST_BYTES = 1 << 24;

    /** Files a model directory may hold besides those its manifest lists. */
    public static final Set<String> ALLOWED_UNLISTED =
            Set.of(ModelManifest.FILE, "RETIRED.json", ModelSignature.FILE);

    private final Path directory;
    private final ModelManifest manifest;
    private final byte[] manifestBytes;
    private final Map<String, byte[]> files;
    private final byte[] signatureBytes;
    private final String signedBy;

    private VerifiedModel(
            Path directory,
            ModelManifest manifest,
            byte[] manifestBytes,
            Map<String, byte[]> files,
            byte[] signatureBytes,
            String signedBy) {
        this.directory = directory;
        this.manifest = manifest;
        this.manifestBytes = manifestBytes;
        this.files = Collections.unmodifiableMap(files);
        this.signatureBytes = signatureBytes;
        this.signedBy = signedBy;
    }

    /** {@link #read(Path, TrustedKeys)} trusting any signature or none. */
    public static VerifiedModel read(Path directory) throws IOException {
        return read(directory, null);
    }

    /**
     * Reads and checks every file of {@code directory}.
     *
     * @param trusted the keys one of which must have signed the manifest ({@value
     *     ModelSignature#FILE}); null: a signature is carried along but not required or checked
     * @throws IOException naming the first problem: a missing, changed, unlisted or linked file
     * @throws TrustedKeys.UntrustedException when {@code trusted} is set and no trusted key signed
     *     the manifest
     */
    public static VerifiedModel read(Path directory, TrustedKeys trusted) throws IOException {
        Path manifestFile = directory.resolve(ModelManifest.FILE);
        if (!Files.exists(manifestFile, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(
                    "model directory "
                            + directory
                            + " has no "
                            + ModelManifest.FILE
                            + ": not an exported model (train it again with `sentiflow train`)");
        }
        byte[] manifestBytes = readNoFollow(directory, ModelManifest.FILE, MAX_MANIFEST_BYTES);
        ModelManifest manifest = ModelManifest.parse(manifestBytes, manifestFile.toString());
        byte[] signatureBytes =
                Files.exists(directory.resolve(ModelSignature.FILE), LinkOption.NOFOLLOW_LINKS)
                        ? readNoFollow(directory, ModelSignature.FILE, ModelSignature.MAX_BYTES)
                        : null;
        String signedBy = null;
        if (trusted != null) {
            String what = "model " + manifest.name() + "@" + manifest.version();
            if (signatureBytes == null) {
                trusted.verify(manifestBytes, null, null, what);
            }
            signedBy =
                    ModelSignature.parse(signatureBytes, directory + "/" + ModelSignature.FILE)
                            .verify(manifestBytes, trusted, what);
        }
        if (manifest.files() == null) {
            throw new IOException(directory + "/" + ModelManifest.FILE + " lists no files");
        }
        for (String required :
                new String[] {
                    ModelConfig.FILE, ModelFiles.VOCABULARY_FILE, ModelFiles.WEIGHTS_FILE
                }) {
            if (!manifest.files().containsKey(required)) {
                throw new IOException(
                        directory + "/" + ModelManifest.FILE + " does not list " + required);
            }
        }
        refuseUnlistedEntries(directory, manifest);
        if (manifest.files().size() > MAX_FILES) {
            throw new IOException(
                    directory
                            + "/"
                            + ModelManifest.FILE
                            + " lists "
                            + manifest.files().size()
                            + " files, more than the "
                            + MAX_FILES
                            + " a model may have");
        }
        // Every name and size first: nothing is read when the files could not all be held.
        long total = 0;
        for (String name : manifest.files().keySet()) {
            if (name.isEmpty()
                    || name.contains("/")
                    || name.contains("\\")
                    || name.equals(".")
                    || name.equals("..")) {
                throw new IOException(
                        directory
                                + "/"
                                + ModelManifest.FILE
                                + " names a file outside the directory: "
                                + name);
            }
            if (!Files.exists(directory.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(
                        "model "
                                + directory
                                + " is missing "
                                + name
                                + ", which its manifest lists");
            }
            total +=
                    Files.readAttributes(
                                    directory.resolve(name),
                                    java.nio.file.attribute.BasicFileAttributes.class,
                                    LinkOption.NOFOLLOW_LINKS)
                            .size();
        }
        if (total > MAX_TOTAL_BYTES) {
            throw new IOException(
                    "model "
                            + directory
                            + ": its files hold "
                            + total
                            + " bytes, more than the "
                            + MAX_TOTAL_BYTES
                            + " a model may have in all");
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        long read = 0;
        for (Map.Entry<String, String> entry : manifest.files().entrySet()) {
            String name = entry.getKey();
            // A file that grew since its size was taken is still held to what is left.
            byte[] bytes =
                    readNoFollow(
                            directory,
                            name,
                            (int) Math.min(MAX_FILE_BYTES, MAX_TOTAL_BYTES - read));
            read += bytes.length;
            String actual = sha256(bytes);
            if (!actual.equals(entry.getValue())) {
                throw new IOException(
                        "model "
                                + directory
                                + ": checksum mismatch for "
                                + name
                                + " (manifest "
                                + entry.getValue()
                                + ", file "
                                + actual
                                + "); refusing to load a changed model");
            }
            files.put(name, bytes);
        }
        return new VerifiedModel(
                directory, manifest, manifestBytes, files, signatureBytes, signedBy);
    }

    /** The same files with {@code signature} as their {@value ModelSignature#FILE}. */
    public VerifiedModel withSignature(ModelSignature signature) {
        return new VerifiedModel(
                directory, manifest, manifestBytes, files, signature.toBytes(), null);
    }

    /** The exact bytes of manifest.json, which a signature signs. */
    public byte[] manifestBytes() {
        return manifestBytes.clone();
    }

    /** The signature file's bytes as read, or null when the version is unsigned. */
    public byte[] signatureBytes() {
        return signatureBytes == null ? null : signatureBytes.clone();
    }

    /** The name of the trusted key whose signature was checked, or null when none was asked for. */
    public String signedBy() {
        return signedBy;
    }

    private static void refuseUnlistedEntries(Path directory, ModelManifest manifest)
            throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (Files.isSymbolicLink(entry)) {
                    throw new IOException(
                            "model "
                                    + directory
                                    + ": "
                                    + name
                                    + " is a symbolic link; a model's files must be its own");
                }
                boolean listed = manifest.files().containsKey(name);
                if (!listed
                        && !ALLOWED_UNLISTED.contains(name)
                        && !Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    throw new IOException(
                            "model "
                                    + directory
                                    + " holds "
                                    + name
                                    + ", which its manifest does not list; only listed files may"
                                    + " be in a model directory");
                }
            }
        }
    }

    /** A file's bytes, refusing a symbolic link even if one replaced the file since it was seen. */
    private static byte[] readNoFollow(Path directory, String name, int maxBytes)
            throws IOException {
        Path file = directory.resolve(name);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(
                    "model " + directory + ": " + name + " is not a regular file of its own");
        }
        try (SeekableByteChannel channel =
                Files.newByteChannel(
                        file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            long size = channel.size();
            if (size > maxBytes) {
                throw new IOException(
                        "model "
                                + directory
                                + ": "
                                + name
                                + " has "
                                + size
                                + " bytes, more than the "
                                + maxBytes
                                + " it may have");
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) size);
            while (buffer.hasRemaining()) {
                if (channel.read(buffer) < 0) {
                    break;
                }
            }
            if (buffer.hasRemaining() || channel.read(ByteBuffer.allocate(1)) > 0) {
                throw new IOException("model " + directory + ": " + name + " changed while read");
            }
            return buffer.array();
        } catch (java.nio.file.FileSystemLoopException e) {
            throw new IOException("model " + directory + ": " + name + " is a symbolic link", e);
        }
    }

    static String sha256(byte[] bytes) {
        MessageDigest digest = ModelManifest.newDigest();
        return HexFormat.of().formatHex(digest.digest(bytes));
    }

    /** Where the files were read from. */
    public Path directory() {
        return directory;
    }

    public ModelManifest manifest() {
        return manifest;
    }

    /** The checked bytes of a listed file. */
    public byte[] bytes(String name) throws IOException {
        byte[] bytes = files.get(name);
        if (bytes == null) {
            throw new IOException("model " + directory + " has no file " + name);
        }
        return bytes;
    }

    public ModelConfig config() throws IOException {
        return ModelConfig.parse(bytes(ModelConfig.FILE), directory + "/" + ModelConfig.FILE);
    }

    public Vocabulary vocabulary() throws IOException {
        return Vocabulary.parse(
                bytes(ModelFiles.VOCABULARY_FILE), directory + "/" + ModelFiles.VOCABULARY_FILE);
    }

    /**
     * Writes the checked files and the manifest, byte for byte, into an empty {@code target}
     * directory (e.g. a registry's staging directory).
     */
    public void writeTo(Path target) throws IOException {
        Files.createDirectories(target);
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Files.write(
                    target.resolve(file.getKey()), file.getValue(), StandardOpenOption.CREATE_NEW);
        }
        Files.write(
                target.resolve(ModelManifest.FILE), manifestBytes, StandardOpenOption.CREATE_NEW);
        if (signatureBytes != null) {
            Files.write(
                    target.resolve(ModelSignature.FILE),
                    signatureBytes,
                    StandardOpenOption.CREATE_NEW);
        }
    }
}
