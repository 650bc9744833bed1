package io.sentiflow.job;

import io.sentiflow.model.ModelManifest;
import io.sentiflow.model.VerifiedModel;
import io.sentiflow.model.registry.ModelRegistry;
import io.sentiflow.model.registry.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;

/**
 * A registry on any Flink file system ({@code s3://bucket/models}, {@code hdfs://…}, {@code
 * file:///…}): a version is copied to a local directory on the TaskManager, read and checked there
 * ({@link VerifiedModel}), and the copy is deleted by its caller ({@link ModelCatalog}). The file
 * system's plugin (e.g. {@code flink-s3-fs-presto}) and credentials come from the Flink cluster's
 * configuration.
 */
final class RegistryMirror {
    /** The most entries a version's remote directory may hold before it is refused unread. */
    static final int MAX_FILES = 64;

    private final String root;
    private final Path cache;

    RegistryMirror(String root, Path cache) {
        this.root = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
        this.cache = cache;
    }

    /** Whether a registry root names a Flink file system rather than a local directory. */
    static boolean isRemote(String root) {
        URI uri = URI.create(root.replace('\\', '/').replace(" ", "%20"));
        return uri.getScheme() != null && uri.getScheme().length() > 1;
    }

    /** A local registry holding a fresh copy of {@code modelVersion} (and nothing stale of it). */
    ModelRegistry fetch(String modelVersion) throws IOException {
        return fetch(modelVersion, name -> true);
    }

    /**
     * As {@link #fetch(String)}, copying only the files {@code copied} accepts: a manifest alone is
     * a few kilobytes, the weights beside it up to a gigabyte.
     */
    ModelRegistry fetch(String modelVersion, java.util.function.Predicate<String> copied)
            throws IOException {
        String[] parts = ModelRegistry.split(modelVersion);
        org.apache.flink.core.fs.Path remote =
                new org.apache.flink.core.fs.Path(root + "/" + parts[0] + "/" + parts[1]);
        FileSystem fs = remote.getFileSystem();
        Path local = cache.resolve(parts[0]).resolve(parts[1]);
        ModelRegistry.deleteRecursively(local);
        if (!fs.exists(remote)) {
            throw new RegistryException(
                    RegistryException.Problem.UNKNOWN_VERSION,
                    "model registry " + root + " has no version " + modelVersion);
        }
        Files.createDirectories(local);
        FileStatus[] listing = fs.listStatus(remote);
        if (listing.length > MAX_FILES) {
            throw new RegistryException(
                    RegistryException.Problem.INVALID_MODEL,
                    modelVersion + " holds " + listing.length + " entries; a model has a few");
        }
        // Every size first: nothing is copied when the files could not all be held.
        java.util.List<FileStatus> files = new java.util.ArrayList<>();
        long total = 0;
        for (FileStatus status : listing) {
            String name = status.getPath().getName();
            if (status.isDir() || !copied.test(name)) {
                continue;
            }
            long most =
                    name.equals(ModelManifest.FILE)
                            ? VerifiedModel.MAX_MANIFEST_BYTES
                            : VerifiedModel.MAX_FILE_BYTES;
            if (status.getLen() > most) {
                throw new RegistryException(
                        RegistryException.Problem.INVALID_MODEL,
                        modelVersion
                                + ": "
                                + name
                                + " has "
                                + status.getLen()
                                + " bytes, more than a model file may have");
            }
            total += status.getLen();
            files.add(status);
        }
        if (total > VerifiedModel.MAX_TOTAL_BYTES) {
            throw new RegistryException(
                    RegistryException.Problem.INVALID_MODEL,
                    modelVersion
                            + ": its files hold "
                            + total
                            + " bytes, more than the "
                            + VerifiedModel.MAX_TOTAL_BYTES
                            + " a model may have in all");
        }
        for (FileStatus status : files) {
            try (InputStream in = fs.open(status.getPath())) {
                Files.copy(
                        in,
                        local.resolve(status.getPath().getName()),
                        StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return new ModelRegistry(cache);
    }
}
