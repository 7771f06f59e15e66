package io.edgegw.admin;

import org.junit.jupiter.api.Test;

import io.edgegw.testkit.GatewayUrls;
import io.edgegw.testkit.ReferenceClusterResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

/** Without {@code gateway.admin.token} the admin API refuses everything, whatever token is presented. */
@QuarkusTest
@WithTestResource(ReferenceClusterResource.class)
class AdminDisabledTest {

    @Test
    void everyRequestIs403WhileNoTokenIsConfigured() {
        RestAssured.get(GatewayUrls.management("/admin/ignore")).then().statusCode(403);
        RestAssured.given().header("Authorization", "Bearer anything")
                .put(GatewayUrls.management("/admin/ignore?pattern=a")).then().statusCode(403);
        RestAssured.given().header("Authorization", "Bearer anything").get(GatewayUrls.management("/admin/upstreams"))
                .then().statusCode(403);
    }
}
