package dev.chat.war;

import dev.chat.app.ChatApp;
import dev.chat.web.Health;
import dev.chat.ws.ChatConfigurator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

/**
 * The node's health checks in the container's own health endpoint (MicroProfile Health: Payara's
 * {@code /health/*}, WildFly's on its management port with the microprofile-health-smallrye
 * subsystem), beside the WAR's {@code health/*}: a platform that probes the container sees the chat
 * drain, or lose Redis or its database, as the container's own checks cannot. One check named
 * {@code chat} per kind, DOWN when one of the node's checks of that kind is, each of them in its
 * data. The container makes these beans, so the node is found through the one static,
 * {@link ChatConfigurator#running} (the servlet context is not to be had here: both containers
 * call checks with no request active); before the node has started, or after it stopped, the chat
 * is not ready and not started, but live.
 */
@ApplicationScoped
public class ContainerHealthChecks {
    static final String NAME = "chat";

    @Produces
    @Liveness
    HealthCheck liveness() {
        return () -> answer(Health.Kind.LIVENESS, true);
    }

    @Produces
    @Readiness
    HealthCheck readiness() {
        return () -> answer(Health.Kind.READINESS, false);
    }

    @Produces
    @Startup
    HealthCheck startup() {
        return () -> answer(Health.Kind.STARTUP, false);
    }

    private HealthCheckResponse answer(Health.Kind kind, boolean upWithoutTheNode) {
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME);
        ChatApp running = ChatConfigurator.running();
        if (running == null) {
            return response.status(upWithoutTheNode).withData("node", "not running").build();
        }
        boolean up = true;
        for (Health.Check check : running.health().checks()) {
            if (check.kind() == kind) {
                boolean passes = check.up().getAsBoolean();
                up &= passes;
                response.withData(check.name(), passes ? "UP" : "DOWN");
            }
        }
        return response.status(up).build();
    }
}
