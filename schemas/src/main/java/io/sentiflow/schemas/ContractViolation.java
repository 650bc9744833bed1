package io.sentiflow.schemas;

/**
 * A document that breaks its wire contract, with a machine-readable reason code.
 *
 * <p>Thrown by the codecs in this package; the streaming job turns it into a {@link DeadLetter} and
 * never lets it escape an operator.
 */
public final class ContractViolation extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final DeadLetter.Reason reason;

    public ContractViolation(DeadLetter.Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public DeadLetter.Reason reason() {
        return reason;
    }
}
