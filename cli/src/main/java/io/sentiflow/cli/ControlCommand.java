package io.sentiflow.cli;

import io.sentiflow.local.KafkaClients;
import io.sentiflow.model.registry.ModelRegistry;
import io.sentiflow.model.trust.Keys;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.ModelControl;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
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
                Integer weight)
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
                            System.currentTimeMillis());
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

        @Override
        public Integer call() throws Exception {
            return common.send(spec, action(), version(), weight());
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
            description = "Send a share of reviews (chosen by a hash of their id) to a version.")
    static final class Canary extends SendVersion {
        @Option(names = "--weight", required = true, description = "Percent of reviews, 0-100.")
        int weight;

        @Override
        ModelControl.Action action() {
            return ModelControl.Action.CANARY;
        }

        @Override
        Integer weight() {
            return weight;
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
