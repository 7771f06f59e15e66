package io.edgegw.fanout;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import jakarta.enterprise.context.ApplicationScoped;

import io.edgegw.config.GatewayConfig;

/**
 * The global ignore list: initial patterns from {@code gateway.fanout.ignore}, changed at runtime by the admin API.
 * Readers get an immutable snapshot; a change takes effect for the next message everywhere, and is announced to
 * the listeners (the upstream pool stops subscribing to topics that are wholly ignored).
 */
@ApplicationScoped
public class GlobalIgnore {

    private volatile PatternSet current;
    private final List<Consumer<PatternSet>> listeners = new CopyOnWriteArrayList<>();

    public GlobalIgnore(GatewayConfig config) {
        this.current = PatternSet.of(config.fanout().ignore().orElse(List.of()));
    }

    public PatternSet current() {
        return current;
    }

    public void onChange(Consumer<PatternSet> listener) {
        listeners.add(listener);
    }

    /** Adds a pattern; false when it is invalid. Adding a present pattern changes nothing and succeeds. */
    public synchronized boolean add(String pattern) {
        if (!TopicPattern.isValidPattern(pattern)) {
            return false;
        }
        if (!current.contains(pattern)) {
            publish(current.with(pattern));
        }
        return true;
    }

    /** Removes a pattern; false when it was not in the list. */
    public synchronized boolean remove(String pattern) {
        if (pattern == null || !TopicPattern.isValidPattern(pattern) || !current.contains(pattern)) {
            return false;
        }
        publish(current.without(pattern));
        return true;
    }

    private void publish(PatternSet next) {
        current = next;
        listeners.forEach(listener -> listener.accept(next));
    }
}
