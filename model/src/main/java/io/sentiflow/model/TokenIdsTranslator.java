package io.sentiflow.model;

import ai.djl.ndarray.NDList;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

/** One review's token ids in, P(positive) out; batches are padded by {@link PaddingBatchifier}. */
public final class TokenIdsTranslator implements Translator<int[], Float> {
    private final Batchifier batchifier;

    public TokenIdsTranslator(int minLength) {
        this.batchifier = new PaddingBatchifier(minLength);
    }

    @Override
    public NDList processInput(TranslatorContext ctx, int[] ids) {
        long[] wide = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            wide[i] = ids[i];
        }
        return new NDList(ctx.getNDManager().create(wide));
    }

    @Override
    public Float processOutput(TranslatorContext ctx, NDList list) {
        return sigmoid(list.singletonOrThrow().getFloat());
    }

    /** The logistic function, without overflow for large |logit|. */
    public static float sigmoid(float logit) {
        if (logit >= 0) {
            return (float) (1.0 / (1.0 + Math.exp(-logit)));
        }
        double e = Math.exp(logit);
        return (float) (e / (1.0 + e));
    }

    @Override
    public Batchifier getBatchifier() {
        return batchifier;
    }
}
