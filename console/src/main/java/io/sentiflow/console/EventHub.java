package io.sentiflow.console;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The dashboard's events: the latest sentiments and health records, replayed to every page that
 * connects, then pushed as server-sent events. Thread-safe.
 */
final class EventHub {
    /** One server-sent event: its type and its JSON data. */
    record Event(String type, String json) {}

    private static final int RECENT_SENTIMENTS = 50;
    private static final int RECENT_HEALTH = 600;
    private static final int CLIENT_BACKLOG = 2_000;

    private final Deque<Event> recentSentiments = new ArrayDeque<>();
    private final Deque<Event> recentHealth = new ArrayDeque<>();
    private final List<BlockingQueue<Event>> clients = new CopyOnWriteArrayList<>();

    synchronized void publish(Event event) {
        Deque<Event> recent = event.type().equals("health") ? recentHealth : recentSentiments;
        recent.addLast(event);
        if (recent.size() > (recent == recentHealth ? RECENT_HEALTH : RECENT_SENTIMENTS)) {
            recent.removeFirst();
        }
        for (BlockingQueue<Event> client : clients) {
            // A page that stops reading loses events rather than the console's memory.
            client.offer(event);
        }
    }

    /** A new client's queue, starting with what the dashboard already knows. */
    synchronized BlockingQueue<Event> subscribe() {
        BlockingQueue<Event> queue = new LinkedBlockingQueue<>(CLIENT_BACKLOG);
        recentHealth.forEach(queue::offer);
        recentSentiments.forEach(queue::offer);
        clients.add(queue);
        return queue;
    }

    void unsubscribe(BlockingQueue<Event> queue) {
        clients.remove(queue);
    }

    int clientCount() {
        return clients.size();
    }

    synchronized List<Event> recent() {
        List<Event> all = new ArrayList<>(recentHealth);
        all.addAll(recentSentiments);
        return all;
    }
}
