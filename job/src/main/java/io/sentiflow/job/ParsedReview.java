package io.sentiflow.job;

import java.nio.charset.StandardCharsets;

/**
 * A review that passed its contract, with where and when it was read. The record's value bytes are
 * left behind: every rejection that needs them happens in {@link ParseReview}. A POJO.
 *
 * <p>The text travels as bytes, which Flink copies in one piece (a String field would be written
 * character by character): Latin-1 when every character fits, else UTF-16, so nothing is lost, a
 * lone surrogate included.
 */
public class ParsedReview {
    public String id;

    /** The text's bytes: Latin-1 when {@link #latin1}, else UTF-16BE. */
    public byte[] textBytes;

    public boolean latin1;

    /** The true label when the producer sent one, else null. */
    public String label;

    public String topic;
    public int partition;
    public long offset;

    /** When latency starts: see {@link KafkaRecordDeserializer}. */
    public long timestamp;

    public ParsedReview() {}

    public ParsedReview(String id, String text, String label, KafkaRecord source) {
        this.id = id;
        this.label = label;
        this.topic = source.topic;
        this.partition = source.partition;
        this.offset = source.offset;
        this.timestamp = source.timestamp;
        setText(text);
    }

    public void setText(String text) {
        latin1 = true;
        for (int i = 0; i < text.length() && latin1; i++) {
            latin1 = text.charAt(i) < 256;
        }
        textBytes = text.getBytes(latin1 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_16BE);
    }

    /** The review's text, decoded (each call decodes again: keep it). */
    public String text() {
        return new String(
                textBytes, latin1 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_16BE);
    }
}
