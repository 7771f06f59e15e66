package io.edgegw.fanout;

import java.nio.charset.StandardCharsets;

/**
 * Topic names and subscription patterns, as PROTOCOL.md section 1 defines them.
 * <p>
 * A topic is segments separated by {@code /}, each non-empty, of letters, digits and {@code -_.:@}, at most
 * {@value #MAX_BYTES} bytes. A pattern may also use {@code *} for exactly one segment and a final {@code **} for
 * one or more remaining segments. Stateless and thread-safe; the same rules serve the gateway and the reference node.
 */
public final class TopicPattern {

    public static final int MAX_BYTES = 256;

    private final String text;
    private final String[] segments;
    private final boolean exact;

    private TopicPattern(String text, String[] segments, boolean exact) {
        this.text = text;
        this.segments = segments;
        this.exact = exact;
    }

    /** Parses a pattern (or an exact topic, which is a pattern without wildcards); null when it is invalid. */
    public static TopicPattern parse(String text) {
        if (text == null || text.isEmpty() || text.length() > MAX_BYTES) {
            return null;
        }
        if (text.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            return null;
        }
        String[] segments = text.split("/", -1);
        boolean exact = true;
        for (int i = 0; i < segments.length; i++) {
            String segment = segments[i];
            if (segment.equals("*")) {
                exact = false;
            } else if (segment.equals("**")) {
                if (i != segments.length - 1) {
                    return null;
                }
                exact = false;
            } else if (!isPlainSegment(segment)) {
                return null;
            }
        }
        return new TopicPattern(text, segments, exact);
    }

    /** True when {@code text} is a valid topic name (no wildcards). */
    public static boolean isValidTopic(String text) {
        TopicPattern pattern = parse(text);
        return pattern != null && pattern.exact;
    }

    /** True when {@code text} is a valid topic or pattern. */
    public static boolean isValidPattern(String text) {
        return parse(text) != null;
    }

    /** Matches {@code topic} against {@code pattern}; false when either is invalid. */
    public static boolean matches(String pattern, String topic) {
        TopicPattern parsed = parse(pattern);
        return parsed != null && parsed.matches(topic);
    }

    public boolean isExact() {
        return exact;
    }

    public String text() {
        return text;
    }

    /** Matches a topic name without allocating. */
    public boolean matches(String topic) {
        if (exact) {
            return text.equals(topic);
        }
        int position = 0;
        int length = topic.length();
        for (int i = 0; i < segments.length; i++) {
            if (position > length) {
                return false;
            }
            int end = topic.indexOf('/', position);
            if (end < 0) {
                end = length;
            }
            String segment = segments[i];
            if (segment.equals("**")) {
                return end > position; // one or more remaining segments, each non-empty by construction of topics
            }
            if (end == position) {
                return false;
            }
            if (!segment.equals("*") && !topic.regionMatches(position, segment, 0, segment.length())
                    || !segment.equals("*") && segment.length() != end - position) {
                return false;
            }
            position = end + 1;
        }
        return position == length + 1;
    }

    /**
     * True when every topic that {@code other} matches is also matched by this pattern (conservative: false when
     * unsure). Used to tell when a subscription is wholly covered by an ignore list.
     */
    public boolean covers(TopicPattern other) {
        String[] mine = segments;
        String[] theirs = other.segments;
        for (int i = 0; i < mine.length; i++) {
            if (mine[i].equals("**")) {
                return theirs.length > i; // one or more remaining segments, whatever they are
            }
            if (i >= theirs.length || theirs[i].equals("**")) {
                return false;
            }
            if (!mine[i].equals("*") && !mine[i].equals(theirs[i])) {
                return false;
            }
        }
        return mine.length == theirs.length;
    }

    private static boolean isPlainSegment(String segment) {
        if (segment.isEmpty()) {
            return false;
        }
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            boolean allowed = Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.' || c == ':' || c == '@';
            if (!allowed) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TopicPattern that && that.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
