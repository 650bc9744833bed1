package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.sentiflow.model.VerifiedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.util.function.ThrowingRunnable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The dispatcher alone, outside Flink: a real scorer thread and the real test model, a mailbox and
 * a clock of the test's own (the test thread is the task thread).
 */
// A loop that never yields (a drain or trim that cannot progress) must fail, not hang: the
// default timeout runs in the test's own thread and cannot stop such a loop.
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BatchDispatcherTest {
    private static final String V1 = "textcnn-test@1";
    private static LoadedModel model;

    /** The task's mailbox: the scorer's results wait here until the test thread runs them. */
    private static final class Mailbox implements MailboxExecutor {
        final LinkedBlockingQueue<ThrowingRunnable<? extends Exception>> mails =
                new LinkedBlockingQueue<>();

        @Override
        public void execute(
                MailOptions options,
                ThrowingRunnable<? extends Exception> command,
                String description,
                Object... args) {
            mails.add(command);
        }

        @Override
        public void yield() throws InterruptedException {
            ThrowingRunnable<? extends Exception> mail = mails.poll(60, TimeUnit.SECONDS);
            assertThat(mail).as("a result within a minute").isNotNull();
            run(mail);
        }

        @Override
        public boolean tryYield() {
            ThrowingRunnable<? extends Exception> mail = mails.poll();
            if (mail != null) {
                run(mail);
            }
            return mail != null;
        }

        @Override
        public boolean shouldInterrupt() {
            return false;
        }

        private static void run(ThrowingRunnable<? extends Exception> mail) {
            try {
                mail.run();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Processing time that moves only when the test moves it. */
    private static final class Clock implements ProcessingTimeService {
        long now;
        final List<Object[]> timers = new ArrayList<>();

        @Override
        public long getCurrentProcessingTime() {
            return now;
        }

        @Override
        public ScheduledFuture<?> registerTimer(long timestamp, ProcessingTimeCallback target) {
            timers.add(new Object[] {timestamp, target});
            return null;
        }

        void advanceTo(long time) throws Exception {
            now = time;
            for (Object[] timer : new ArrayList<>(timers)) {
                if ((long) timer[0] <= time) {
                    timers.remove(timer);
                    ((ProcessingTimeCallback) timer[1]).onProcessingTime(time);
                }
            }
        }
    }

    private final Mailbox mailbox = new Mailbox();
    private final Clock clock = new Clock();
    private final List<List<String>> scored = new ArrayList<>();
    private BatchDispatcher dispatcher;

    @BeforeAll
    static void loadModel() throws Exception {
        model = LoadedModel.load(V1, VerifiedModel.read(TestModel.directory()), Device.cpu());
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    @AfterEach
    void closeDispatcher() {
        if (dispatcher != null) {
            dispatcher.close();
        }
    }

    private BatchDispatcher dispatcher(int maxSize, long maxDelayMs, int maxPending) {
        dispatcher =
                new BatchDispatcher(
                        new ScoringSettings.Batching(maxSize, maxDelayMs, 0, maxPending, 0),
                        new Scorer(0, mailbox),
                        new BatchDispatcher.Models() {
                            @Override
                            public LoadedModel model(String version) {
                                return model;
                            }

                            @Override
                            public LoadedModel shadowOf(String version) {
                                return null;
                            }
                        },
                        clock,
                        mailbox,
                        new UnregisteredMetricsGroup(),
                        result -> {
                            assertThat(result.errors()).containsOnlyNulls();
                            scored.add(
                                    result.batch().reviews().stream()
                                            .map(r -> r.review().id)
                                            .toList());
                        });
        return dispatcher;
    }

    private ReviewToScore review(String id, String text) {
        ParsedReview review =
                new ParsedReview(id, text, null, new KafkaRecord("reviews", 0, 0, 0L, null));
        return new ReviewToScore(review, text, V1, model.encode(text), clock.now);
    }

    private List<String> ids(String prefix, int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(prefix + i);
        }
        return ids;
    }

    @Test
    void aFreeScorerShouldTakeWhatWaitsAtOnceAndTheRestWhenItsResultIsBack() throws Exception {
        BatchDispatcher dispatcher = dispatcher(8, 0, 64);
        dispatcher.add(review("alone", "a fine film"));
        dispatcher.dispatch(false);
        assertThat(dispatcher.busy()).isTrue();
        for (String id : ids("next-", 5)) {
            dispatcher.add(review(id, "a fine film"));
            dispatcher.dispatch(false);
        }
        assertThat(dispatcher.waiting()).as("the scorer takes one batch at a time").isEqualTo(5);
        mailbox.yield(); // the lone review's result; the five leave with it
        assertThat(dispatcher.waiting()).isZero();
        mailbox.yield();
        assertThat(scored).containsExactly(List.of("alone"), ids("next-", 5));
        assertThat(dispatcher.busy()).isFalse();
    }

    @Test
    void aFullQueueShouldHoldTheTaskUntilTheScorerFreesRoom() throws Exception {
        BatchDispatcher dispatcher = dispatcher(8, 0, 8);
        dispatcher.add(review("first", "a fine film"));
        dispatcher.dispatch(false);
        for (String id : ids("queued-", 8)) {
            dispatcher.add(review(id, "a fine film"));
        }
        dispatcher.awaitRoom();
        assertThat(scored)
                .as("room came from the scorer's result")
                .containsExactly(List.of("first"));
        assertThat(dispatcher.waiting()).isLessThan(8);
        dispatcher.drain();
        assertThat(scored).hasSize(2);
        assertThat(scored.get(1)).isEqualTo(ids("queued-", 8));
    }

    @Test
    void aHeldQueueShouldLeaveOnItsTimerAndADrainShouldNotWaitForIt() throws Exception {
        BatchDispatcher dispatcher = dispatcher(8, 50, 64);
        dispatcher.add(review("held", "a fine film"));
        dispatcher.dispatch(false);
        assertThat(dispatcher.busy()).isFalse();
        assertThat(dispatcher.waitsForDelay()).isTrue();
        clock.advanceTo(49);
        assertThat(dispatcher.busy()).isFalse();
        clock.advanceTo(50);
        assertThat(dispatcher.busy()).as("left at its minimum delay").isTrue();
        mailbox.yield();
        assertThat(scored).containsExactly(List.of("held"));

        dispatcher.add(review("drained", "a fine film"));
        dispatcher.dispatch(false);
        assertThat(dispatcher.busy()).isFalse();
        dispatcher.drain();
        assertThat(scored).containsExactly(List.of("held"), List.of("drained"));
        assertThat(dispatcher.waiting()).isZero();
        assertThat(dispatcher.busy()).isFalse();
    }

    @Test
    void whatIsInFlightShouldBeTheBatchOnTheScorerThenWhatWaitsEachOnce() {
        BatchDispatcher dispatcher = dispatcher(8, 0, 64);
        dispatcher.add(review("on-scorer", "a fine film"));
        dispatcher.dispatch(false);
        dispatcher.add(review("waiting-1", "a fine film"));
        dispatcher.add(review("waiting-2", "a dull film"));
        assertThat(dispatcher.inFlight())
                .extracting(r -> r.id)
                .containsExactly("on-scorer", "waiting-1", "waiting-2");
        assertThat(dispatcher.textBytes()).isEqualTo(3 * "a fine film".length());
    }

    @Test
    void trimmingShouldScoreOnlyAsMuchAsTheBoundNeeds() throws Exception {
        // A minimum delay holds partial batches (of up to 16), so only the trim sends anything.
        BatchDispatcher dispatcher = dispatcher(16, 1_000, 64);
        String text = "a fine film with a long story ".repeat(40); // 1,200 bytes
        for (String id : ids("long-", 10)) {
            dispatcher.add(review(id, text));
        }
        dispatcher.dispatch(false);
        assertThat(dispatcher.busy()).isFalse();
        assertThat(dispatcher.textBytes()).isEqualTo(12_000);

        dispatcher.trimTo(7_000);

        // 5,000 bytes over: five reviews of 1,200 scored (4 would leave 7,200), five kept.
        assertThat(scored).containsExactly(ids("long-", 5));
        assertThat(dispatcher.textBytes()).isEqualTo(6_000);
        assertThat(dispatcher.inFlight())
                .extracting(r -> r.id)
                .containsExactlyElementsOf(ids("long-", 10).subList(5, 10));
        dispatcher.trimTo(7_000);
        assertThat(scored).as("under the bound already: nothing more").hasSize(1);
    }
}
