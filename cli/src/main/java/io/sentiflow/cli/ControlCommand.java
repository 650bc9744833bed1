package io.sentiflow.cli;

import io.sentiflow.local.KafkaClients;
import io.sentiflow.model.registry.ModelRegistry;
import io.sentiflow.model.trust.Keys;
import io.sentiflow.schemas.CanaryCriteria;
import io.sentiflow.schemas.ContractViolation;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.ModelControl;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sentiflow control}: routing commands to the running job, on the model-control topic. */
@Command(
        name = "control",
        mixinStandardHelpOptions = true,
        description = {
            "Change which model versions receive traffic in the running job, without restarting it.",
            "Commands go to the model-control topic (model-control.v1); the job applies them in order,"
                    + " after loading and checking the version, and dead-letters those it refuses."
        },
        subcommands = {
            ControlCommand.Deploy.class,
            ControlCommand.Canary.class,
            ControlCommand.Shadow.class,
            ControlCommand.Rollback.class,
            ControlCommand.ClearCanary.class,
            ControlCommand.ClearShadow.class
        })
public final class ControlCommand implements Runnable {
    /** Every command's key: one key keeps all commands in one partition, in order. */
    public static final String KEY = "routing";

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** What every control subcommand takes. */
    static final class Common {
        @Mixin KafkaOptions kafka;

        @Option(
                names = "--topic",
                defaultValue = "model-control",
                description = "Control topic (default: ${DEFAULT-VALUE}).")
        String topic;

        @Option(
                names = "--issued-by",
                defaultValue = "${sys:user.name}",
                description = "Who sends the command (default: ${DEFAULT-VALUE}).")
        String issuedBy;

        @Option(names = "--command-id", description = "Command id (default: a random UUID).")
        String commandId;

        @Option(
                names = "--registry",
                description =
                        "Check the version in this registry before sending (the job checks again).")
        Path registry;

        @Option(
                names = "--sign-key",
                paramLabel = "KEY_FILE",
                description =
                        "Sign the command with this Ed25519 private key (NAME.key from `sentiflow keys"
                                + " generate`, NAME.pub beside it). A job with control.trusted-keys"
                                + " applies only signed commands and records the key's name as the"
                                + " issuer.")
        Path signKey;

        int send(
                picocli.CommandLine.Model.CommandSpec spec,
                ModelControl.Action action,
                String version,
                Integer weight,
                CanaryCriteria analysis)
                throws Exception {
            if (registry != null && version != null) {
                new ModelRegistry(registry).resolveForTraffic(version);
            }
            ModelControl command =
                    new ModelControl(
                            commandId != null ? commandId : UUID.randomUUID().toString(),
                            action,
                            version,
                            weight,
                            issuedBy,
                            System.currentTimeMillis(),
                            null,
                            null,
                            analysis,
                            null,
                            null);
            if (signKey != null) {
                var key = Keys.readPrivate(signKey);
                var publicKey = Keys.publicOf(signKey);
                command =
                        command.signed(
                                Keys.id(publicKey),
                                content ->
                                        Base64.getEncoder()
                                                .encodeToString(Keys.sign(key.key(), content)));
                if (!Keys.verify(
                        publicKey,
                        command.signedContent(),
                        Base64.getDecoder().decode(command.signature()))) {
                    throw new IllegalArgumentException(
                            "the .pub beside " + signKey + " is not its public key");
                }
            }
            try (KafkaProducer<byte[], byte[]> producer =
                    KafkaClients.producer(kafka.bootstrapServers, kafka.clientProperties())) {
                RecordMetadata sent =
                        producer.send(
                                        new ProducerRecord<>(
                                                topic,
                                                KEY.getBytes(StandardCharsets.UTF_8),
                                                Json.toBytes(command)))
                                .get(30, TimeUnit.SECONDS);
                spec.commandLine()
                        .getOut()
                        .printf(
                                "sent %s (command %s) to %s-%d@%d%n",
                                Json.toString(command),
                                command.commandId(),
                                topic,
                                sent.partition(),
                                sent.offset());
            }
            return 0;
        }
    }

    /** A subcommand: its action, and the version and weight it names (if any). */
    abstract static class Send implements Callable<Integer> {
        @Mixin Common common;
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        abstract ModelControl.Action action();

        String version() {
            return null;
        }

        Integer weight() {
            return null;
        }

        CanaryCriteria analysis() {
            return null;
        }

        @Override
        public Integer call() throws Exception {
            return common.send(spec, action(), version(), weight(), analysis());
        }
    }

    /** A subcommand that names a version. */
    abstract static class SendVersion extends Send {
        @Parameters(paramLabel = "NAME@VERSION")
        String version;

        @Override
        String version() {
            return version;
        }
    }

    @Command(
            name = "deploy",
            mixinStandardHelpOptions = true,
            description = "Make a version production.")
    static final class Deploy extends SendVersion {
        @Override
        ModelControl.Action action() {
            return ModelControl.Action.DEPLOY;
        }
    }

    @Command(
            name = "canary",
            mixinStandardHelpOptions = true,
            description = {
                "Send a share of reviews (chosen by a hash of their id) to a version.",
                "With --auto the job judges the canary against production each health window and"
                        + " promotes or rolls it back by itself, through the control topic: a hard"
                        + " criterion that fails rolls it back at once; --max-failed-windows failed"
                        + " windows in a row too; --windows passing windows in a row and"
                        + " --min-reviews reviews promote it. Where labels arrive (labelled reviews"
                        + " or review-labels) and each side has --min-labelled, accuracy decides"
                        + " and the unlabelled proxies are only reported."
            })
    static final class Canary extends SendVersion {
        private static final CanaryCriteria DEFAULTS = CanaryCriteria.defaults();

        @Option(names = "--weight", required = true, description = "Percent of reviews, 0-100.")
        int weight;

        @Option(
                names = "--auto",
                description = "Let the job promote or roll back the canary by these criteria.")
        boolean auto;

        @Option(
                names = "--min-reviews",
                description = "Reviews the canary scores before promotion (default: 500).")
        long minReviews = DEFAULTS.minReviews();

        @Option(
                names = "--windows",
                description = "Passing health windows in a row before promotion (default: 3).")
        int windows = DEFAULTS.windows();

        @Option(
                names = "--max-failed-windows",
                description = "Failed windows in a row that roll it back (default: 3).")
        int maxFailedWindows = DEFAULTS.maxFailedWindows();

        @Option(
                names = "--max-error-rate-increase",
                description =
                        "Hard: scoring errors per review above production's since the start, from"
                                + " 20 reviews and 3 errors (default: 0.01).")
        double maxErrorRateIncrease = DEFAULTS.maxErrorRateIncrease();

        @Option(
                names = "--max-p99-ratio",
                description =
                        "Soft: p99 latency over production's (at least 50 ms), per window (default:"
                                + " 2.0).")
        double maxP99Ratio = DEFAULTS.maxP99Ratio();

        @Option(
                names = "--max-positive-rate-difference",
                description =
                        "Soft, until labels suffice: positive-rate difference since the start"
                                + " (default: 0.15).")
        double maxPositiveRateDifference = DEFAULTS.maxPositiveRateDifference();

        @Option(
                names = "--max-psi",
                description =
                        "Soft, until labels suffice: PSI between the two score histograms since the"
                                + " start (default: 0.25).")
        double maxPsi = DEFAULTS.maxPsi();

        @Option(
                names = "--min-compared",
                description = "Reviews each side scores before the proxies count (default: 200).")
        long minCompared = DEFAULTS.minCompared();

        @Option(
                names = "--min-labelled",
                description =
                        "Labelled reviews each side needs before accuracy is judged (default:"
                                + " 100).")
        long minLabelled = DEFAULTS.minLabelled();

        @Option(
                names = "--alpha",
                description =
                        "Hard: the canary is rolled back when shown less accurate than production by"
                                + " more than --max-accuracy-drop, one-sided p below this (default:"
                                + " 0.01).")
        double alpha = DEFAULTS.alpha();

        @Option(
                names = "--max-accuracy-drop",
                description =
                        "Once labels decide, a window passes only when the canary is shown (95 %"
                                + " one-sided) not less accurate than production by more than this"
                                + " (default: 0.05).")
        double maxAccuracyDrop = DEFAULTS.maxAccuracyDrop();

        /** The criteria options, which mean something only with --auto. */
        private static final List<String> CRITERIA_OPTIONS =
                List.of(
                        "--min-reviews",
                        "--windows",
                        "--max-failed-windows",
                        "--max-error-rate-increase",
                        "--max-p99-ratio",
                        "--max-positive-rate-difference",
                        "--max-psi",
                        "--min-compared",
                        "--min-labelled",
                        "--alpha",
                        "--max-accuracy-drop");

        @Override
        ModelControl.Action action() {
            return ModelControl.Action.CANARY;
        }

        @Override
        Integer weight() {
            return weight;
        }

        @Override
        CanaryCriteria analysis() {
            var parsed = spec.commandLine().getParseResult();
            if (!auto) {
                for (String option : CRITERIA_OPTIONS) {
                    if (parsed.hasMatchedOption(option)) {
                        throw new picocli.CommandLine.ParameterException(
                                spec.commandLine(),
                                option + " is a criterion of --auto: add --auto");
                    }
                }
                return null;
            }
            if (weight == 0 || weight == 100) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(),
                        "--auto compares the canary with production on their own reviews: a weight"
                                + " of "
                                + weight
                                + " leaves one of them none");
            }
            try {
                return new CanaryCriteria(
                        minReviews,
                        windows,
                        maxFailedWindows,
                        maxErrorRateIncrease,
                        maxP99Ratio,
                        maxPositiveRateDifference,
                        maxPsi,
                        minCompared,
                        minLabelled,
                        alpha,
                        maxAccuracyDrop);
            } catch (ContractViolation e) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), e.getMessage().replace("ModelControl.analysis.", "--"));
            }
        }
    }

    @Command(
            name = "shadow",
            mixinStandardHelpOptions = true,
            description =
                    "Score every review with a version too, comparing only (its results are not sent).")
    static final class Shadow extends SendVersion {
        @Override
        ModelControl.Action action() {
            return ModelControl.Action.SHADOW;
        }
    }

    @Command(
            name = "rollback",
            mixinStandardHelpOptions = true,
            description = "Return production to the version before the last deploy.")
    static final class Rollback extends Send {
        @Override
        ModelControl.Action action() {
            return ModelControl.Action.ROLLBACK;
        }
    }

    @Command(
            name = "clear-canary",
            mixinStandardHelpOptions = true,
            description = "Stop the canary.")
    static final class ClearCanary extends Send {
        @Override
        ModelControl.Action action() {
            return ModelControl.Action.CLEAR_CANARY;
        }
    }

    @Command(
            name = "clear-shadow",
            mixinStandardHelpOptions = true,
            description = "Stop the shadow.")
    static final class ClearShadow extends Send {
        @Override
        ModelControl.Action action() {
            return ModelControl.Action.CLEAR_SHADOW;
        }
    }
}
