package io.edgegw.observe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.edgegw.testkit.Scrape;

/** A parsed Prometheus text scrape (format 0.0.4): its samples, with their labels. */
final class PrometheusText {

    /** One sample line: name, labels in order, value. */
    record Sample(String name, Map<String, String> labels, double value) {
        boolean has(String label, String value) {
            return value.equals(labels.get(label));
        }
    }

    private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)( \\S+)?$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    private final String text;
    private final List<Sample> samples;

    private PrometheusText(String text, List<Sample> samples) {
        this.text = text;
        this.samples = samples;
    }

    /** Scrapes the gateway's management port now. */
    static PrometheusText scrape() {
        return parse(Scrape.metrics());
    }

    static PrometheusText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher matcher = LINE.matcher(line);
            if (!matcher.matches()) {
                throw new AssertionError("not a Prometheus sample line: " + line);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (matcher.group(3) != null) {
                Matcher label = LABEL.matcher(matcher.group(3));
                while (label.find()) {
                    labels.put(label.group(1), label.group(2));
                }
            }
            samples.add(new Sample(matcher.group(1), labels, Double.parseDouble(matcher.group(4))));
        }
        return new PrometheusText(text, samples);
    }

    String text() {
        return text;
    }

    List<Sample> samples(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    /** The sample of that name whose labels include all of {@code labels} (name, value pairs); fails if none. */
    Sample sample(String name, String... labels) {
        return samples(name).stream().filter(s -> matches(s, labels)).findFirst()
                .orElseThrow(() -> new AssertionError("no sample " + name + " " + String.join(",", labels)
                        + " in the scrape; samples of that name: " + samples(name)));
    }

    /** The value of {@link #sample}, or 0 if there is no such sample. */
    double value(String name, String... labels) {
        return samples(name).stream().filter(s -> matches(s, labels)).mapToDouble(Sample::value).findFirst()
                .orElse(0);
    }

    /** The sum over every sample of that name. */
    double sum(String name) {
        return samples(name).stream().mapToDouble(Sample::value).sum();
    }

    Set<String> names() {
        Set<String> names = new TreeSet<>();
        samples.forEach(s -> names.add(s.name()));
        return names;
    }

    private static boolean matches(Sample sample, String... labels) {
        for (int i = 0; i + 1 < labels.length; i += 2) {
            if (!sample.has(labels[i], labels[i + 1])) {
                return false;
            }
        }
        return true;
    }
}
