package io.sentiflow.model.registry;

import java.io.IOException;

/** A registry operation that cannot be done, with a machine-readable {@link Problem}. */
public final class RegistryException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why. */
    public enum Problem {
        /** No such name@version in the registry. */
        UNKNOWN_VERSION,
        /** The version is retired: its files are kept, but it receives no traffic. */
        RETIRED,
        /** Publishing or importing a name@version that is already there. */
        ALREADY_PUBLISHED,
        /** The files fail their checksums, are missing, or are not a model. */
        INVALID_MODEL,
        /** Trusted keys are set and no trusted key signed the version's manifest. */
        UNTRUSTED
    }

    private final Problem problem;

    public RegistryException(Problem problem, String message) {
        super(message);
        this.problem = problem;
    }

    public RegistryException(Problem problem, String message, Throwable cause) {
        super(message, cause);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }
}
