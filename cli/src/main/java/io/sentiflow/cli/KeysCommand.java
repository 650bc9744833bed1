package io.sentiflow.cli;

import io.sentiflow.model.trust.Keys;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sentiflow keys}: Ed25519 keys that sign model versions and control commands. */
@Command(
        name = "keys",
        mixinStandardHelpOptions = true,
        description = "Ed25519 signing keys, from the JDK (the same PEM files openssl writes).",
        subcommands = {KeysCommand.Generate.class})
public final class KeysCommand implements Runnable {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(
            name = "generate",
            mixinStandardHelpOptions = true,
            description = {
                "Write NAME.key (private, owner-only) and NAME.pub (public) into a directory.",
                "Give NAME.pub to the job (registry.trusted-keys, control.trusted-keys); keep NAME.key"
                        + " with whoever publishes models or sends commands."
            })
    static final class Generate implements Callable<Integer> {
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "The key's name, recorded as the issuer.")
        String name;

        @Option(
                names = "--dir",
                defaultValue = "keys",
                description = "Directory to write to (default: ${DEFAULT-VALUE}).")
        Path directory;

        @Override
        public Integer call() throws Exception {
            Path publicFile = Keys.generate(directory, name);
            spec.commandLine()
                    .getOut()
                    .printf(
                            "wrote %s and %s (key id %s)%n",
                            directory.resolve(name + Keys.PRIVATE_SUFFIX),
                            publicFile,
                            Keys.id(Keys.readPublic(publicFile).key()));
            return 0;
        }
    }
}
