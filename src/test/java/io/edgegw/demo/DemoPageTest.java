package io.edgegw.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.edgegw.testkit.GatewayUrls;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** How the demo page and the browser client are served: the redirect to the page, and caching a browser revalidates. */
@QuarkusTest
@TestProfile(DemoProfileTest.Demo.class)
class DemoPageTest {

    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void demoWithoutTheTrailingSlashRedirectsToThePage() throws Exception {
        HttpResponse<String> plain = get("/demo");
        assertThat(plain.statusCode()).isEqualTo(301);
        assertThat(plain.headers().firstValue("Location")).hasValue("/demo/");

        assertThat(get("/demo?debug=1").headers().firstValue("Location")).hasValue("/demo/?debug=1");

        HttpResponse<String> page = get("/demo/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("demo.js");
    }

    @Test
    void theClientAndTheDemoAreRevalidatedNotCachedAsImmutable() throws Exception {
        for (String path : new String[] {"/client/gateway-client.js", "/demo/", "/demo/demo.js"}) {
            HttpResponse<String> response = get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(200);
            assertThat(response.headers().allValues("Cache-Control")).as(path).containsExactly("no-cache");
            String lastModified = response.headers().firstValue("Last-Modified").orElseThrow();

            HttpResponse<String> again = http.send(HttpRequest.newBuilder(URI.create(GatewayUrls.http(path)))
                    .header("If-Modified-Since", lastModified).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(again.statusCode()).as("%s revalidated", path).isEqualTo(304);
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(GatewayUrls.http(path))).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
