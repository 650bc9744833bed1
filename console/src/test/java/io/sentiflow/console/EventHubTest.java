package io.sentiflow.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.Test;

class EventHubTest {
    @Test
    void aNewPageShouldGetRecentHealthThenRecentSentimentsThenLiveEvents() {
        EventHub hub = new EventHub();
        for (int i = 0; i < 70; i++) {
            hub.publish(new EventHub.Event("sentiment", "{\"n\":" + i + "}"));
        }
        hub.publish(new EventHub.Event("health", "{\"h\":1}"));
        BlockingQueue<EventHub.Event> page = hub.subscribe();
        hub.publish(new EventHub.Event("sentiment", "{\"n\":70}"));

        List<EventHub.Event> received = new ArrayList<>();
        page.drainTo(received);
        assertThat(received.get(0)).isEqualTo(new EventHub.Event("health", "{\"h\":1}"));
        assertThat(received.subList(1, received.size()))
                .as("the last 50 sentiments, then the live one")
                .extracting(EventHub.Event::json)
                .startsWith("{\"n\":20}")
                .endsWith("{\"n\":69}", "{\"n\":70}")
                .hasSize(51);
        hub.unsubscribe(page);
        assertThat(hub.clientCount()).isZero();
    }

    @Test
    void aPageThatStopsReadingShouldLoseEventsNotTheConsolesMemory() {
        EventHub hub = new EventHub();
        BlockingQueue<EventHub.Event> stalled = hub.subscribe();
        for (int i = 0; i < 5_000; i++) {
            hub.publish(new EventHub.Event("sentiment", "{}"));
        }
        assertThat(stalled.size()).isEqualTo(2_000);
        assertThat(hub.recent()).hasSize(50);
    }
}
