package io.sentiflow.job;

import io.sentiflow.schemas.DeadLetter;
import io.sentiflow.schemas.Json;
import io.sentiflow.schemas.ModelHealth;
import io.sentiflow.schemas.ReviewSample;
import io.sentiflow.schemas.Sentiment;
import java.io.IOException;
import java.util.Objects;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink's type information for the wire-contract records the job writes to Kafka (sentiments, dead
 * letters, samples, health records): serialized as their own JSON, so no record falls back to Kryo
 * (the job runs with {@code pipeline.generic-types: false}). The records are immutable, so passing
 * one between chained operators copies nothing.
 */
public final class ContractType<T> extends TypeInformation<T> {
    private static final long serialVersionUID = 1L;

    public static final ContractType<Sentiment> SENTIMENT = new ContractType<>(Sentiment.class);
    public static final ContractType<DeadLetter> DEAD_LETTER = new ContractType<>(DeadLetter.class);
    public static final ContractType<ReviewSample> REVIEW_SAMPLE =
            new ContractType<>(ReviewSample.class);
    public static final ContractType<ModelHealth> MODEL_HEALTH =
            new ContractType<>(ModelHealth.class);
    public static final ContractType<io.sentiflow.schemas.ModelRouting> MODEL_ROUTING =
            new ContractType<>(io.sentiflow.schemas.ModelRouting.class);
    public static final ContractType<io.sentiflow.schemas.ModelControl> MODEL_CONTROL =
            new ContractType<>(io.sentiflow.schemas.ModelControl.class);

    private final Class<T> type;

    private ContractType(Class<T> type) {
        this.type = type;
    }

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<T> getTypeClass() {
        return type;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<T> createSerializer(SerializerConfig config) {
        return new Serializer<>(type);
    }

    @Override
    public String toString() {
        return "ContractType<" + type.getSimpleName() + ">";
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ContractType<?> that && that.type.equals(type);
    }

    @Override
    public int hashCode() {
        return type.hashCode();
    }

    @Override
    public boolean canEqual(Object other) {
        return other instanceof ContractType;
    }

    /** A record as its JSON bytes, length first. */
    public static final class Serializer<T> extends TypeSerializer<T> {
        private static final long serialVersionUID = 1L;

        private final Class<T> type;

        Serializer(Class<T> type) {
            this.type = type;
        }

        @Override
        public boolean isImmutableType() {
            return true;
        }

        @Override
        public TypeSerializer<T> duplicate() {
            return this;
        }

        @Override
        public T createInstance() {
            return null;
        }

        @Override
        public T copy(T from) {
            return from;
        }

        @Override
        public T copy(T from, T reuse) {
            return from;
        }

        @Override
        public int getLength() {
            return -1;
        }

        @Override
        public void serialize(T record, DataOutputView target) throws IOException {
            byte[] bytes = Json.toBytes(record);
            target.writeInt(bytes.length);
            target.write(bytes);
        }

        @Override
        public T deserialize(DataInputView source) throws IOException {
            byte[] bytes = new byte[source.readInt()];
            source.readFully(bytes);
            return Json.mapper().readValue(bytes, type);
        }

        @Override
        public T deserialize(T reuse, DataInputView source) throws IOException {
            return deserialize(source);
        }

        @Override
        public void copy(DataInputView source, DataOutputView target) throws IOException {
            int length = source.readInt();
            target.writeInt(length);
            target.write(source, length);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Serializer<?> that && that.type.equals(type);
        }

        @Override
        public int hashCode() {
            return Objects.hash(type);
        }

        @Override
        public TypeSerializerSnapshot<T> snapshotConfiguration() {
            return new Snapshot<>(type);
        }
    }

    /** The serializer's configuration: the record class. */
    public static final class Snapshot<T> implements TypeSerializerSnapshot<T> {
        private Class<T> type;

        /** For Flink, which reads the class afterwards. */
        public Snapshot() {}

        Snapshot(Class<T> type) {
            this.type = type;
        }

        @Override
        public int getCurrentVersion() {
            return 1;
        }

        @Override
        public void writeSnapshot(DataOutputView out) throws IOException {
            out.writeUTF(type.getName());
        }

        @SuppressWarnings("unchecked")
        @Override
        public void readSnapshot(int version, DataInputView in, ClassLoader loader)
                throws IOException {
            try {
                type = (Class<T>) Class.forName(in.readUTF(), false, loader);
            } catch (ClassNotFoundException e) {
                throw new IOException(e);
            }
        }

        @Override
        public TypeSerializer<T> restoreSerializer() {
            return new Serializer<>(type);
        }

        @Override
        public TypeSerializerSchemaCompatibility<T> resolveSchemaCompatibility(
                TypeSerializerSnapshot<T> old) {
            return old instanceof Snapshot<T> previous && previous.type.equals(type)
                    ? TypeSerializerSchemaCompatibility.compatibleAsIs()
                    : TypeSerializerSchemaCompatibility.incompatible();
        }
    }
}
