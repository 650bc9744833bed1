package io.sentiflow.model.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sentiflow.model.ModelConfig;
import io.sentiflow.model.ModelManifest;
import io.sentiflow.model.VerifiedModel;
import io.sentiflow.model.trust.ModelSignature;
import io.sentiflow.model.trust.TrustedKeys;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A versioned store of exported TextCNN models under one root directory, laid out {@code
 * <root>/<name>/<version>/} with each version's model directory (weights, vocabulary, config.json
 * and manifest.json).
 *
 * <p>Every version is checked against its manifest's SHA-256 sums when it is published, imported,
 * verified or resolved for traffic. Published versions are never overwritten. A retired version
 * keeps its files (and gains {@value #RETIRED_FILE}) but {@link #resolveForTraffic} refuses it.
 * Export and import move one zip archive holding the version's files, manifest included.
 *
 * <p>Writes go to a hidden staging directory under the root first and are moved into place, so a
 * reader never sees half a version.
 */
public final class ModelRegistry {
    public static final String RETIRED_FILE = "RETIRED.json";
    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path root;

    public ModelRegistry(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** Why and when a version was retired, in its {@value #RETIRED_FILE}. */
    public record Retirement(String retiredAt, String retiredBy, String reason) {}

    /** One published version. */
    public record Entry(
            String name,
            String version,
            Path directory,
            ModelManifest manifest,
            Retirement retirement) {
        /** {@code name@version}, as sentiments and control commands name it. */
        public String modelVersion() {
            return name + "@" + version;
        }

        public boolean retired() {
            return retirement != null;
        }
    }

    /** {@code name@version} split in two, each checked to be a safe path segment. */
    public static String[] split(String modelVersion) throws RegistryException {
        int at = modelVersion == null ? -1 : modelVersion.indexOf('@');
        if (at < 0 || modelVersion.indexOf('@', at + 1) >= 0) {
            throw new RegistryException(
                    RegistryException.Problem.UNKNOWN_VERSION,
                    "a model version is written name@version, got '" + modelVersion + "'");
        }
        String name = modelVersion.substring(0, at);
        String version = modelVersion.substring(at + 1);
        checkSegment(name, "name");
        checkSegment(version, "version");
        return new String[] {name, version};
    }

    private static void checkSegment(String value, String what) throws RegistryException {
        if (!SAFE_NAME.matcher(value).matches() || value.contains("..")) {
            throw new RegistryException(
                    RegistryException.Problem.INVALID_MODEL,
                    "a model "
                            + what
                            + " may hold letters, digits, '.', '_' and '-' only, got '"
                            + value
                            + "'");
        }
    }

    /** Every version, sorted by name and then version (numerically where both are numbers). */
    public List<Entry> list() throws IOException {
        List<Entry> entries = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return entries;
        }
        try (Stream<Path> names = Files.list(root)) {
            for (Path name : names.filter(Files::isDirectory).sorted().toList()) {
                if (name.getFileName().toString().startsWith(".")) {
                    continue;
                }
                try (Stream<Path> versions = Files.list(name)) {
                    for (Path version : versions.filter(Files::isDirectory).toList()) {
                        if (Files.isRegularFile(version.resolve(ModelManifest.FILE))) {
                            entries.add(entry(version));
                        }
                    }
                }
            }
        }
        entries.sort(
                Comparator.comparing(Entry::name)
                        .thenComparing(Entry::version, ModelRegistry::compareVersions));
        return entries;
    }

    static int compareVersions(String a, String b) {
        if (a.matches("\\d{1,18}") && b.matches("\\d{1,18}")) {
            return Long.compare(Long.parseLong(a), Long.parseLong(b));
        }
        return a.compareTo(b);
    }

    /** The version's entry (its manifest read, its checksums not checked). */
    public Entry show(String modelVersion) throws IOException {
        return entry(directoryOf(modelVersion));
    }

    private Entry entry(Path directory) throws IOException {
        ModelManifest manifest = ModelManifest.read(directory);
        Path retired = directory.resolve(RETIRED_FILE);
        Retirement retirement =
                Files.isRegularFile(retired)
                        ? MAPPER.readValue(retired.toFile(), Retirement.class)
                        : null;
        return new Entry(
                directory.getParent().getFileName().toString(),
                directory.getFileName().toString(),
                directory,
                manifest,
                retirement);
    }

    /** The directory of a published version. */
    public Path directoryOf(String modelVersion) throws RegistryException {
        String[] parts = split(modelVersion);
        Path directory = root.resolve(parts[0]).resolve(parts[1]);
        if (!Files.isRegularFile(directory.resolve(ModelManifest.FILE))) {
            throw new RegistryException(
                    RegistryException.Problem.UNKNOWN_VERSION,
                    "model registry " + root + " has no version " + modelVersion);
        }
        return directory;
    }

    /**
     * The directory of a version that may receive traffic: published, not retired, and every file
     * matching its checksum.
     */
    public Path resolveForTraffic(String modelVersion) throws RegistryException {
        Path directory = activeDirectory(modelVersion);
        verifyDirectory(directory, modelVersion);
        return directory;
    }

    /**
     * The directory of a version that is published and not retired, its files not checked (for
     * callers that check them as they load, such as {@code SentimentScorer.load}).
     */
    public Path activeDirectory(String modelVersion) throws RegistryException {
        Path directory = directoryOf(modelVersion);
        if (Files.isRegularFile(directory.resolve(RETIRED_FILE))) {
            throw new RegistryException(
                    RegistryException.Problem.RETIRED,
                    modelVersion + " is retired and can no longer receive traffic");
        }
        return directory;
    }

    /** Checks every file of a version against its manifest. */
    public ModelManifest verify(String modelVersion) throws RegistryException {
        return verifyDirectory(directoryOf(modelVersion), modelVersion);
    }

    private static ModelManifest verifyDirectory(Path directory, String label)
            throws RegistryException {
        return checked(directory, label).manifest();
    }

    /** A version's files read and checked, and stored under the name their config gives. */
    public static VerifiedModel checked(Path directory, String label) throws RegistryException {
        return checked(directory, label, null);
    }

    /**
     * A version's files read and checked, stored under the name their config gives, and — when
     * {@code trusted} is set — signed by one of those keys ({@link Problem#UNTRUSTED} otherwise).
     */
    public static VerifiedModel checked(Path directory, String label, TrustedKeys trusted)
            throws RegistryException {
        try {
            VerifiedModel model = VerifiedModel.read(directory, trusted);
            ModelManifest manifest = model.manifest();
            ModelConfig config = model.config();
            String expected = directory.getParent().getFileName() + "@" + directory.getFileName();
            if (!config.modelVersion().equals(expected)
                    || !(manifest.name() + "@" + manifest.version()).equals(expected)) {
                throw new RegistryException(
                        RegistryException.Problem.INVALID_MODEL,
                        label
                                + ": the files say "
                                + config.modelVersion()
                                + " but are stored as "
                                + expected);
            }
            return model;
        } catch (RegistryException e) {
            throw e;
        } catch (TrustedKeys.UntrustedException e) {
            throw new RegistryException(
                    RegistryException.Problem.UNTRUSTED,
                    label + " is refused: " + e.getMessage(),
                    e);
        } catch (IOException e) {
            throw new RegistryException(
                    RegistryException.Problem.INVALID_MODEL,
                    label + " is refused: " + e.getMessage(),
                    e);
        }
    }

    /**
     * Copies an exported model directory into the registry as {@code name@version} from its
     * config.json, after checking its checksums. A version that exists is never overwritten.
     */
    public Entry publish(Path modelDirectory) throws IOException {
        return publish(modelDirectory, null);
    }

    /**
     * {@link #publish(Path)}, signing the manifest with the private key in {@code signKey} (its
     * {@code .pub} beside it) when it is not null: the signature goes in {@value
     * ModelSignature#FILE} and replaces any the directory had.
     */
    public Entry publish(Path modelDirectory, Path signKey) throws IOException {
        VerifiedModel model;
        ModelConfig config;
        try {
            model = VerifiedModel.read(modelDirectory);
            config = model.config();
        } catch (IOException e) {
            throw new RegistryException(
                    RegistryException.Problem.INVALID_MODEL,
                    "cannot publish " + modelDirectory + ": " + e.getMessage(),
                    e);
        }
        if (signKey != null) {
            model = model.withSignature(ModelSignature.sign(model.manifestBytes(), signKey));
        }
        Path staging = stagingDirectory();
        try {
            // The very bytes that were checked are written: nothing can change in between.
            model.writeTo(staging);
            return install(staging, config.modelVersion());
        } finally {
            deleteRecursively(staging);
        }
    }

    /**
     * Signs a published version (its files checked first) with the private key in {@code signKey},
     * replacing any signature it had: how a version published unsigned, or signed with a key being
     * retired, comes to be trusted. Its files are not touched.
     */
    public Entry sign(String modelVersion, Path signKey) throws IOException {
        // A retired version is not signed again: that would vouch for it anew.
        Path directory = activeDirectory(modelVersion);
        VerifiedModel model = checked(directory, modelVersion);
        ModelSignature signature = ModelSignature.sign(model.manifestBytes(), signKey);
        Path partial = directory.resolve("." + ModelSignature.FILE + "." + UUID.randomUUID());
        try {
            Files.write(partial, signature.toBytes(), java.nio.file.StandardOpenOption.CREATE_NEW);
            Files.move(
                    partial,
                    directory.resolve(ModelSignature.FILE),
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(partial);
        }
        return entry(directory);
    }

    /** Marks a version retired; its files stay. Retiring twice is refused. */
    public Entry retire(String modelVersion, String retiredBy, String reason) throws IOException {
        Path directory = directoryOf(modelVersion);
        Path marker = directory.resolve(RETIRED_FILE);
        Retirement retirement = new Retirement(Instant.now().toString(), retiredBy, reason);
        try (OutputStream out =
                Files.newOutputStream(marker, java.nio.file.StandardOpenOption.CREATE_NEW)) {
            MAPPER.writeValue(out, retirement);
        } catch (FileAlreadyExistsException e) {
            throw new RegistryException(
                    RegistryException.Problem.RETIRED, modelVersion + " is already retired");
        }
        return entry(directory);
    }

    /**
     * Writes one zip archive with the version's files and its manifest (not its retirement), after
     * checking them.
     */
    public Path export(String modelVersion, Path archive) throws IOException {
        Path directory = directoryOf(modelVersion);
        VerifiedModel model = checked(directory, modelVersion);
        ModelManifest manifest = model.manifest();
        if (archive.getParent() != null) {
            Files.createDirectories(archive.getParent());
        }
        Path partial = archive.resolveSibling(archive.getFileName() + ".partial");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(partial))) {
            for (String file : manifest.files().keySet()) {
                zip.putNextEntry(new ZipEntry(file));
                zip.write(model.bytes(file));
                zip.closeEntry();
            }
            zip.putNextEntry(new ZipEntry(ModelManifest.FILE));
            zip.write(model.manifestBytes());
            zip.closeEntry();
            byte[] signature = model.signatureBytes();
            if (signature != null) {
                zip.putNextEntry(new ZipEntry(ModelSignature.FILE));
                zip.write(signature);
                zip.closeEntry();
            }
        }
        Files.move(partial, archive, StandardCopyOption.REPLACE_EXISTING);
        return archive;
    }

    /**
     * How much an archive may unpack to: a zip's headers can claim anything, so the bytes are
     * counted as they are written.
     *
     * @param maxEntries most entries
     * @param maxEntryBytes most bytes of one entry, unpacked
     * @param maxTotalBytes most bytes of all entries, unpacked
     */
    public record ImportLimits(int maxEntries, long maxEntryBytes, long maxTotalBytes) {
        /** 32 entries, 1 GiB each (a model file's limit), 2 GiB in all. */
        public static final ImportLimits DEFAULT =
                new ImportLimits(
                        32, VerifiedModel.MAX_FILE_BYTES, 2L * VerifiedModel.MAX_FILE_BYTES);

        public ImportLimits {
            if (maxEntries < 1 || maxEntryBytes < 1 || maxTotalBytes < 1) {
                throw new IllegalArgumentException("import limits must be positive");
            }
        }
    }

    /** {@link #importArchive(Path, ImportLimits)} with the default limits. */
    public Entry importArchive(Path archive) throws IOException {
        return importArchive(archive, ImportLimits.DEFAULT);
    }

    /**
     * Adds the version in an archive written by {@link #export}, after checking every checksum in
     * its manifest. Refused when the version exists, the archive holds anything but flat files or
     * more than the limits allow, or a file is missing, changed or unlisted.
     */
    public Entry importArchive(Path archive, ImportLimits limits) throws IOException {
        if (!Files.isRegularFile(archive)) {
            throw new java.nio.file.NoSuchFileException(archive.toString(), null, "no archive");
        }
        Path staging = stagingDirectory();
        try {
            Set<String> seen = new HashSet<>();
            long total = 0;
            try (InputStream in = Files.newInputStream(archive);
                    ZipInputStream zip = new ZipInputStream(in)) {
                for (ZipEntry item; (item = zip.getNextEntry()) != null; ) {
                    String name = item.getName();
                    if (item.isDirectory()
                            || name.contains("/")
                            || name.contains("\\")
                            || !SAFE_NAME.matcher(name).matches()
                            || !seen.add(name)) {
                        throw refusedArchive(archive, "unexpected entry '" + name + "'");
                    }
                    if (seen.size() > limits.maxEntries()) {
                        throw refusedArchive(
                                archive, "more than " + limits.maxEntries() + " entries");
                    }
                    long written = copyAtMost(zip, staging.resolve(name), limits.maxEntryBytes());
                    if (written > limits.maxEntryBytes()) {
                        throw refusedArchive(
                                archive,
                                name
                                        + " unpacks to more than "
                                        + limits.maxEntryBytes()
                                        + " bytes");
                    }
                    total += written;
                    if (total > limits.maxTotalBytes()) {
                        throw refusedArchive(
                                archive,
                                "it unpacks to more than " + limits.maxTotalBytes() + " bytes");
                    }
                }
            } catch (java.util.zip.ZipException e) {
                throw new RegistryException(
                        RegistryException.Problem.INVALID_MODEL,
                        archive + " is not a zip archive: " + e.getMessage(),
                        e);
            }
            ModelConfig config;
            try {
                config = VerifiedModel.read(staging).config();
            } catch (IOException e) {
                throw new RegistryException(
                        RegistryException.Problem.INVALID_MODEL,
                        "import of " + archive + " refused: " + e.getMessage(),
                        e);
            }
            return install(staging, config.modelVersion());
        } finally {
            deleteRecursively(staging);
        }
    }

    private static RegistryException refusedArchive(Path archive, String why) {
        return new RegistryException(
                RegistryException.Problem.INVALID_MODEL,
                archive + " is not a model archive: " + why);
    }

    /**
     * Copies at most {@code limit + 1} bytes of {@code in} to a new file and returns how many it
     * wrote: more than {@code limit} means the entry is too large (the rest is never unpacked).
     */
    private static long copyAtMost(InputStream in, Path target, long limit) throws IOException {
        long written = 0;
        byte[] buffer = new byte[1 << 16];
        try (OutputStream out =
                Files.newOutputStream(target, java.nio.file.StandardOpenOption.CREATE_NEW)) {
            while (written <= limit) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, limit + 1 - written));
                if (n < 0) {
                    break;
                }
                out.write(buffer, 0, n);
                written += n;
            }
        }
        return written;
    }

    private Path stagingDirectory() throws IOException {
        Path staging = root.resolve(".staging").resolve(UUID.randomUUID().toString());
        Files.createDirectories(staging);
        return staging;
    }

    /** Moves a checked staging directory into place as {@code modelVersion}. */
    private Entry install(Path staging, String modelVersion) throws IOException {
        String[] parts = split(modelVersion);
        Path target = root.resolve(parts[0]).resolve(parts[1]);
        if (Files.exists(target)) {
            throw new RegistryException(
                    RegistryException.Problem.ALREADY_PUBLISHED,
                    modelVersion
                            + " is already in the registry; publish a new version instead"
                            + " (train with --model-version)");
        }
        Files.createDirectories(target.getParent());
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(staging, target);
        } catch (FileAlreadyExistsException e) {
            throw new RegistryException(
                    RegistryException.Problem.ALREADY_PUBLISHED,
                    modelVersion + " is already in the registry");
        }
        return entry(target);
    }

    /** Deletes a file or a directory tree; nothing when it does not exist. */
    public static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
