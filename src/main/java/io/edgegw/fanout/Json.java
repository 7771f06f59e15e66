package io.edgegw.fanout;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

/** Small JSON writing helpers for frames that the gateway composes itself (replies, not forwarded messages). */
public final class Json {

    private Json() {
    }

    /** The JSON string literal for {@code text}, quotes included; {@code null} for null. */
    public static String quote(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        JsonStringEncoder.getInstance().quoteAsString(text, out);
        return out.append('"').toString();
    }

    /** A JSON array of string literals. */
    public static String stringArray(Iterable<String> items) {
        StringBuilder out = new StringBuilder("[");
        for (String item : items) {
            if (out.length() > 1) {
                out.append(',');
            }
            out.append(quote(item));
        }
        return out.append(']').toString();
    }
}
