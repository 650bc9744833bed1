package io.sentiflow.job;

/**
 * A review on its way through a scoring subtask: routed to a model version, its tokens turned into
 * that version's ids. Lives only inside {@link ScoreBatch}; never serialized.
 *
 * @param review the parsed review
 * @param text its text, decoded once
 * @param version the model version that scores it
 * @param ids its tokens in that version's vocabulary
 * @param arrivedAt when it reached the subtask, epoch milliseconds
 */
record ReviewToScore(ParsedReview review, String text, String version, int[] ids, long arrivedAt) {}
