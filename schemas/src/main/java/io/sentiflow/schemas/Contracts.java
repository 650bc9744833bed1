package io.sentiflow.schemas;

/** Checks shared by the records' constructors. */
final class Contracts {
    private Contracts() {}

    static void require(Object value, String field, String type) {
        if (value == null) {
            throw new ContractViolation(
                    DeadLetter.Reason.MISSING_FIELD,
                    type + "." + field + " is required but missing");
        }
    }
}
