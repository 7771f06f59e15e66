package io.edgegw.observe;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;

/**
 * Keeps the scrape valid for strict parsers of the Prometheus text format (0.0.4), such as {@code promtool check
 * metrics}: some of Micrometer's JVM binders put double quotes in their descriptions, which the registry writes into
 * {@code # HELP} lines as {@code \"}, an escape that format does not allow there. Quotes become single quotes.
 */
public class MeterDescriptions {

    @Produces
    @Singleton
    MeterFilter helpWithoutDoubleQuotes() {
        return new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                String description = id.getDescription();
                if (description == null || description.indexOf('"') < 0) {
                    return id;
                }
                return new Meter.Id(id.getName(), Tags.of(id.getTagsAsIterable()), id.getBaseUnit(),
                        description.replace('"', '\''), id.getType());
            }
        };
    }
}
