package io.edgegw.fanout;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A set of topic patterns: an ignore list (global or per session), or the topics a user may subscribe to.
 * Immutable: a change makes a new set, so readers on any thread see a consistent snapshot without locks.
 */
public final class PatternSet {

    public static final PatternSet EMPTY = new PatternSet(List.of());

    private final List<TopicPattern> patterns;

    private PatternSet(List<TopicPattern> patterns) {
        this.patterns = patterns;
    }

    /** A list of the given patterns; throws {@link IllegalArgumentException} naming the first invalid one. */
    public static PatternSet of(Collection<String> texts) {
        Set<TopicPattern> parsed = new LinkedHashSet<>();
        for (String text : texts) {
            TopicPattern pattern = TopicPattern.parse(text);
            if (pattern == null) {
                throw new IllegalArgumentException("invalid topic pattern: " + text);
            }
            parsed.add(pattern);
        }
        return new PatternSet(List.copyOf(parsed));
    }

    public boolean isEmpty() {
        return patterns.isEmpty();
    }

    public boolean matches(String topic) {
        for (int i = 0; i < patterns.size(); i++) {
            if (patterns.get(i).matches(topic)) {
                return true;
            }
        }
        return false;
    }

    /** True when every topic the subscription (a topic or pattern) can match is matched by one of these patterns. */
    public boolean coversAll(String subscription) {
        TopicPattern parsed = TopicPattern.parse(subscription);
        if (parsed == null) {
            return false;
        }
        for (int i = 0; i < patterns.size(); i++) {
            if (patterns.get(i).covers(parsed)) {
                return true;
            }
        }
        return false;
    }

    public boolean contains(String pattern) {
        return patterns.contains(TopicPattern.parse(pattern));
    }

    public PatternSet with(String pattern) {
        List<String> texts = new ArrayList<>(patterns());
        texts.add(pattern);
        return of(texts);
    }

    public PatternSet without(String pattern) {
        List<String> texts = new ArrayList<>(patterns());
        texts.remove(pattern);
        return of(texts);
    }

    public List<String> patterns() {
        return patterns.stream().map(TopicPattern::text).toList();
    }
}
