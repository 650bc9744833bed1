package io.sentiflow.cli;

import io.sentiflow.model.ModelManifest;
import io.sentiflow.model.VerifiedModel;
import io.sentiflow.model.eval.Evaluation;
import io.sentiflow.model.registry.ModelRegistry;
import io.sentiflow.model.trust.TrustedKeys;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sentiflow models}: the model registry. */
@Command(
        name = "models",
        mixinStandardHelpOptions = true,
        description = {
            "Manage the model registry: <root>/<name>/<version>/ with each version's files and manifest.",
            "Every version is checked against its manifest's SHA-256 sums when published, imported, exported or verified."
        },
        subcommands = {
            ModelsCommand.List.class,
            ModelsCommand.Show.class,
            ModelsCommand.Publish.class,
            ModelsCommand.Import.class,
            ModelsCommand.Export.class,
            ModelsCommand.Verify.class,
            ModelsCommand.Sign.class,
            ModelsCommand.Retire.class
        })
public final class ModelsCommand implements Runnable {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The registry root option shared by every subcommand. */
    static final class RegistryOption {
        @Option(
                names = "--registry",
                defaultValue = "${env:SENTIFLOW_REGISTRY:-models/registry}",
                description =
                        "Registry root directory (default: $SENTIFLOW_REGISTRY or ${DEFAULT-VALUE}).")
        Path root;

        ModelRegistry registry() {
            return new ModelRegistry(root);
        }
    }

    private static String metric(Evaluation evaluation) {
        return evaluation == null ? "-" : String.format("%.4f", evaluation.accuracy());
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List every version.")
    static final class List implements Callable<Integer> {
        @Mixin RegistryOption registry;
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            java.util.List<ModelRegistry.Entry> entries = registry.registry().list();
            if (entries.isEmpty()) {
                out.println("no models in " + registry.registry().root());
                return 0;
            }
            out.printf(
                    "%-32s %-8s %-26s %-9s %-9s%n",
                    "VERSION", "STATUS", "CREATED", "VAL ACC", "TEST ACC");
            for (ModelRegistry.Entry entry : entries) {
                ModelManifest manifest = entry.manifest();
                out.printf(
                        "%-32s %-8s %-26s %-9s %-9s%n",
                        entry.modelVersion(),
                        entry.retired() ? "retired" : "active",
                        manifest.createdAt(),
                        metric(manifest.validation()),
                        metric(manifest.test()));
            }
            return 0;
        }
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            description = "Print a version's manifest (and its retirement, if any) as JSON.")
    static final class Show implements Callable<Integer> {
        @Mixin RegistryOption registry;
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "NAME@VERSION")
        String version;

        @Override
        public Integer call() throws Exception {
            ModelRegistry.Entry entry = registry.registry().show(version);
            java.util.Map<String, Object> shown = new java.util.LinkedHashMap<>();
            shown.put("modelVersion", entry.modelVersion());
            shown.put("directory", entry.directory().toString());
            shown.put("status", entry.retired() ? "retired" : "active");
            if (entry.retired()) {
                shown.put("retirement", entry.retirement());
            }
            shown.put("manifest", entry.manifest());
            spec.commandLine()
                    .getOut()
                    .println(
                            io.sentiflow.schemas.Json.mapper()
                                    .writerWithDefaultPrettyPrinter()
                                    .writeValueAsString(shown));
            return 0;
        }
    }

    @Command(
            name = "publish",
            mixinStandardHelpOptions = true,
            description =
                    "Copy a trained model directory into the registry as name@version from its config.json.")
    static final class Publish implements Callable<Integer> {
        @Mixin RegistryOption registry;
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(
                paramLabel = "MODEL_DIR",
                description = "Directory written by `sentiflow train`.")
        Path directory;

        @Option(
                names = "--sign-key",
                paramLabel = "KEY_FILE",
                description =
                        "Sign the version's manifest (which holds every file's SHA-256) with this"
                                + " Ed25519 private key; NAME.pub must lie beside it.")
        Path signKey;

        @Override
        public Integer call() throws Exception {
            ModelRegistry.Entry entry = registry.registry().publish(directory, signKey);
            spec.commandLine()
                    .getOut()
                    .println(
                            "published "
                                    + entry.modelVersion()
                                    + (signKey == null ? "" : " signed")
                                    + " to "
                                    + entry.directory());
            return 0;
        }
    }

    @Command(
            name = "import",
            mixinStandardHelpOptions = true,
            description =
                    "Add the version in an archive written by `models export`, after checking every checksum.")
    static final class Import implements Callable<Integer> {
        @Mixin RegistryOption registry;
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "ARCHIVE")
        Path archive;

        @Option(
                names = "--max-entries",
                defaultValue = "32",
                description = "Refuse archives with more entries (default: ${DEFAULT-VALUE}).")
        int maxEntries;

        @Option(
                names = "--max-entry-bytes",
                defaultValue = "1073741824",
                description =
                        "Refuse an entry that unpacks to more bytes, whatever its header claims"
                                + " (default: ${DEFAULT-VALUE}).")
        long maxEntryBytes;

        @Option(
                names = "--max-total-bytes",
                defaultValue = "2147483648",
                description =
                        "Refuse archives that unpack to more bytes in all (default:"
                                + " ${DEFAULT-VALUE}).")
        long maxTotalBytes;

        @Override
        public Integer call() throws Exception {
            ModelRegistry.Entry entry =
                    registry.registry()
                            .importArchive(
                                    archive,
                                    new ModelRegistry.ImportLimits(
                                            maxEntries, maxEntryBytes, maxTotalBytes));
            spec.commandLine()
                    .getOut()
                    .println("imported " + entry.modelVersion() + " to " + entry.directory());
            return 0;
        }
    }

    @Command(
            name = "export",
            mixinStandardHelpOptions = true,
            description = "Write one zip archive with a version's files and manifest.")
    static final class Export implements Callable<Integer> {
        @Mixin RegistryOption registry;
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME@VERSION")
        String version;

        @Parameters(index = "1", paramLabel = "ARCHIVE", description = "The zip file to write.")
        Path archive;

        @Override
        public Integer call() throws Exception {
            Path written = registry.registry().export(version, archive);
            spec.commandLine().getOut().println("exported " + version + " to " + written);
            return 0;
        }
    }

    @Command(
            name = "verify",
            mixinStandardHelpOptions = true,
            description =
                    "Check a version's files (or every version's) against the SHA-256 sums in its manifest.")
    static final class Verify implements Callable<Integer> {
        @Mixin RegistryOption registry;
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(
                arity = "0..1",
                paramLabel = "NAME@VERSION",
                description = "Default: every version.")
        String version;

        @Option(
                names = "--trusted-keys",
                paramLabel = "KEYS",
                defaultValue = "${env:SENTIFLOW_TRUSTED_KEYS}",
                description =
                        "Also require a signature by one of these public keys (.pub files or"
                                + " directories of them, comma-separated; default:"
                                + " $SENTIFLOW_TRUSTED_KEYS), as the job does with"
                                + " registry.trusted-keys.")
        String trustedKeys;

        @Override
        public Integer call() throws Exception {
            ModelRegistry models = registry.registry();
            TrustedKeys trusted = TrustedKeys.read(trustedKeys);
            java.util.List<String> versions =
                    version != null
                            ? java.util.List.of(version)
                            : models.list().stream()
                                    .map(ModelRegistry.Entry::modelVersion)
                                    .toList();
            int failed = 0;
            for (String v : versions) {
                try {
                    VerifiedModel checked =
                            ModelRegistry.checked(models.directoryOf(v), v, trusted);
                    spec.commandLine()
                            .getOut()
                            .println(
                                    "ok "
                                            + v
                                            + " ("
                                            + checked.manifest().files().size()
                                            + " files"
                                            + (checked.signedBy() == null
                                                    ? ""
                                                    : ", signed by " + checked.signedBy())
                                            + ")");
                } catch (java.io.IOException e) {
                    failed++;
                    spec.commandLine().getErr().println("FAILED " + v + ": " + e.getMessage());
                }
            }
            return failed == 0 ? 0 : 1;
        }
    }

    @Command(
            name = "sign",
            mixinStandardHelpOptions = true,
            description = {
                "Sign a published version's manifest with an Ed25519 private key (after checking its files).",
                "Replaces any signature it had; its files are not touched."
            })
    static final class Sign implements Callable<Integer> {
        @Mixin RegistryOption registry;
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "NAME@VERSION")
        String version;

        @Option(
                names = "--sign-key",
                required = true,
                paramLabel = "KEY_FILE",
                description = "NAME.key from `sentiflow keys generate`, NAME.pub beside it.")
        Path signKey;

        @Override
        public Integer call() throws Exception {
            ModelRegistry.Entry entry = registry.registry().sign(version, signKey);
            spec.commandLine()
                    .getOut()
                    .println("signed " + entry.modelVersion() + " with " + signKey.getFileName());
            return 0;
        }
    }

    @Command(
            name = "retire",
            mixinStandardHelpOptions = true,
            description = {
                "Retire a version: its files stay, but the job refuses to route traffic to it.",
                "Move traffic off it first (`sentiflow control deploy` another version)."
            })
    static final class Retire implements Callable<Integer> {
        @Mixin RegistryOption registry;
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "NAME@VERSION")
        String version;

        @Option(names = "--reason", required = true, description = "Why, for the record.")
        String reason;

        @Option(
                names = "--by",
                defaultValue = "${sys:user.name}",
                description = "Who retires it (default: ${DEFAULT-VALUE}).")
        String by;

        @Override
        public Integer call() throws Exception {
            registry.registry().retire(version, by, reason);
            spec.commandLine().getOut().println("retired " + version);
            return 0;
        }
    }
}
