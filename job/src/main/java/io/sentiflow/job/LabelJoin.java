package io.sentiflow.job;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Which unlabelled predictions wait for a true label, so that the label join's state stays bounded
 * at any traffic: those of reviews sent to review-samples (people label what they are shown), and a
 * fixed fraction of all others chosen by a hash of the review id, the same in every run, so a
 * labelling service can label exactly those: a review joins when {@code CRC-32(UTF-8 id) mod 10000
 * < fraction × 10000}.
 */
public final class LabelJoin implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final int BUCKETS = 10_000;

    private final int joinedBuckets;

    /**
     * @param fraction the share of reviews, 0–1, whose predictions wait for a label
     */
    public LabelJoin(double fraction) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("the join fraction must be in [0, 1]");
        }
        this.joinedBuckets = (int) Math.round(fraction * BUCKETS);
    }

    public static LabelJoin of(JobConfig config) {
        return new LabelJoin(config.labelsJoinFraction());
    }

    /**
     * Whether the prediction of a scored review waits for a label: not when it came with one.
     *
     * @param sampled whether it was sent to review-samples for labelling
     */
    public boolean waitsForLabel(String reviewId, String label, boolean sampled) {
        return label == null && (sampled || inFraction(reviewId));
    }

    /** Whether a label that arrives before its prediction waits for it. */
    public boolean waitsForPrediction(String reviewId) {
        return inFraction(reviewId);
    }

    /**
     * Whether the review is in the hashed fraction that waits for a label whatever its score: its
     * label, unlike a sampled review's, is a fair sample of every version's reviews.
     */
    public boolean inFraction(String reviewId) {
        CRC32 crc = new CRC32();
        crc.update(reviewId.getBytes(StandardCharsets.UTF_8));
        return crc.getValue() % BUCKETS < joinedBuckets;
    }
}
