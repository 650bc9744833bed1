package io.sentiflow.job;

import io.sentiflow.model.ModelConfig;
import io.sentiflow.model.ModelManifest;
import io.sentiflow.model.VerifiedModel;
import io.sentiflow.model.registry.ModelRegistry;
import io.sentiflow.model.registry.RegistryException;
import io.sentiflow.model.trust.TrustedKeys;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the job finds a model version's files: the model directory it was started with ({@code
 * model.path}), and the registry ({@code registry.root}) for every version a control command names.
 * A registry root with a scheme ({@code s3://…}, {@code hdfs://…}, {@code file:///…}) is read
 * through Flink's file systems ({@link RegistryMirror}); a plain path is a local directory.
 * Serializable, so operators carry it to the TaskManagers.
 */
public final class ModelCatalog implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String initialPath;
    private final String initialVersion;
    private final String registryRoot;
    private final TrustedKeys trusted;

    /**
     * @param initialPath the starting model's directory, or null to start from {@code
     *     initialVersion} in the registry
     * @param initialVersion {@code name@version} to start with when there is no initial path
     * @param registryRoot the registry's root directory, or null when the job has none
     */
    public ModelCatalog(String initialPath, String initialVersion, String registryRoot) {
        this(initialPath, initialVersion, registryRoot, null);
    }

    /**
     * @param trusted the keys one of which must have signed every version served, the initial one
     *     included; null: versions need no signature
     */
    public ModelCatalog(
            String initialPath, String initialVersion, String registryRoot, TrustedKeys trusted) {
        if (initialPath == null && (initialVersion == null || registryRoot == null)) {
            throw new IllegalArgumentException(
                    "set model.path, or registry.root and model.version, to say which model"
                            + " starts as production");
        }
        this.initialPath = initialPath;
        this.initialVersion = initialVersion;
        this.registryRoot = registryRoot;
        this.trusted = trusted;
    }

    /** The catalog a configuration names; trusted keys are read here, where the graph is built. */
    public static ModelCatalog of(JobConfig config) {
        TrustedKeys keys;
        try {
            keys = TrustedKeys.read(config.registryTrustedKeys());
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    JobConfig.REGISTRY_TRUSTED_KEYS + ": " + e.getMessage(), e);
        }
        if (config.modelVersion() != null) {
            return new ModelCatalog(null, config.modelVersion(), config.registryRoot(), keys);
        }
        return new ModelCatalog(config.modelPath(), null, config.registryRoot(), keys);
    }

    /** Whether versions must be signed by a trusted key to be served. */
    public boolean requiresSignatures() {
        return trusted != null;
    }

    /** The single model directory, for jobs and tests without a registry. */
    public static ModelCatalog of(Path modelDirectory) {
        return new ModelCatalog(modelDirectory.toString(), null, null);
    }

    /** {@code name@version} of the version that is production when no routing state exists. */
    public String initialVersion() {
        if (initialPath == null) {
            return initialVersion;
        }
        try {
            return ModelConfig.read(Path.of(initialPath)).modelVersion();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The checked files of a version that may receive traffic: the initial directory, or a registry
     * version that is published, not retired, stored under its own name, and whose files match
     * their checksums with nothing unlisted beside them — and, with trusted keys, whose manifest a
     * trusted key signed. A remote registry's copy is deleted once read.
     *
     * @throws RegistryException saying why the version may not receive traffic
     */
    public VerifiedModel load(String modelVersion) throws RegistryException {
        if (initialPath != null && modelVersion.equals(initialVersion())) {
            try {
                return VerifiedModel.read(Path.of(initialPath), trusted);
            } catch (TrustedKeys.UntrustedException e) {
                throw new RegistryException(
                        RegistryException.Problem.UNTRUSTED,
                        modelVersion + " is refused: " + e.getMessage(),
                        e);
            } catch (IOException e) {
                throw new RegistryException(
                        RegistryException.Problem.INVALID_MODEL,
                        modelVersion + " is refused: " + e.getMessage(),
                        e);
            }
        }
        return withRegistry(
                modelVersion,
                name -> true,
                registry ->
                        ModelRegistry.checked(
                                registry.activeDirectory(modelVersion), modelVersion, trusted));
    }

    /** The manifest of any known version, retired ones included, without checking checksums. */
    public ModelManifest manifest(String modelVersion) throws IOException {
        if (initialPath != null && modelVersion.equals(initialVersion())) {
            return ModelManifest.read(Path.of(initialPath));
        }
        // From a remote registry only the manifest is copied (the health task reads it).
        return withRegistry(
                modelVersion,
                ModelManifest.FILE::equals,
                registry -> ModelManifest.read(registry.directoryOf(modelVersion)));
    }

    /** What a registry read returns. */
    @FunctionalInterface
    private interface RegistryRead<T> {
        T read(ModelRegistry registry) throws IOException;
    }

    /**
     * Reads {@code modelVersion} from the registry: the root itself, or a fresh local mirror of it
     * that is deleted afterwards (a subtask never reads files another one is replacing, and no
     * copies pile up).
     */
    private <T> T withRegistry(
            String modelVersion, java.util.function.Predicate<String> copied, RegistryRead<T> read)
            throws RegistryException {
        if (registryRoot == null) {
            throw new RegistryException(
                    RegistryException.Problem.UNKNOWN_VERSION,
                    "the job has no model registry (set registry.root), so it knows only "
                            + initialVersion());
        }
        Path mirror = null;
        try {
            ModelRegistry registry;
            if (RegistryMirror.isRemote(registryRoot)) {
                mirror = Files.createTempDirectory("sentiflow-registry-");
                registry = new RegistryMirror(registryRoot, mirror).fetch(modelVersion, copied);
            } else {
                registry = new ModelRegistry(Path.of(registryRoot));
            }
            return read.read(registry);
        } catch (RegistryException e) {
            throw e;
        } catch (IOException e) {
            throw new RegistryException(
                    RegistryException.Problem.INVALID_MODEL,
                    "cannot read " + modelVersion + " from " + registryRoot + ": " + e.getMessage(),
                    e);
        } finally {
            if (mirror != null) {
                try {
                    ModelRegistry.deleteRecursively(mirror);
                } catch (IOException e) {
                    // Best effort: a temporary copy.
                }
            }
        }
    }
}
