package io.edgegw.testkit;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.restassured.RestAssured;

/** Reads one sample from the gateway's Prometheus scrape on the management port. */
public final class Scrape {

    private Scrape() {
    }

    public static String metrics() {
        return RestAssured.get(GatewayUrls.management("/q/metrics")).then().statusCode(200).extract().asString();
    }

    /** The value of the sample whose name and label text match exactly, e.g. {@code ("x_total", "scope=\"global\"")}; 0 when absent. */
    public static double value(String name, String labels) {
        String sample = labels == null || labels.isEmpty() ? name : name + "{" + labels + "}";
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(sample) + " (\\S+)$").matcher(metrics());
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0;
    }
}
