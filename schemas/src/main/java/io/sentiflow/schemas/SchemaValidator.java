package io.sentiflow.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Validates documents against the contracts' JSON Schema (draft 2020-12) documents. */
public final class SchemaValidator {
    private final Map<Schemas, Schema> schemas = new EnumMap<>(Schemas.class);

    public SchemaValidator() {
        SchemaRegistry registry =
                SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
        for (Schemas contract : Schemas.values()) {
            try (InputStream in = contract.openSchema()) {
                schemas.put(contract, registry.getSchema(in));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The violations of {@code document} against {@code contract}; empty when it is valid. */
    public List<String> validate(Schemas contract, JsonNode document) {
        return schemas.get(contract).validate(document).stream().map(Error::toString).toList();
    }

    /** The violations of a UTF-8 JSON document; a document that is not JSON is one violation. */
    public List<String> validate(Schemas contract, byte[] document) {
        try {
            return validate(contract, Json.mapper().readTree(document));
        } catch (IOException e) {
            return List.of("not JSON: " + e.getMessage());
        }
    }
}
