package dev.chat.deploy;

import java.util.Map;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** The unchanged WAR on WildFly (run with {@code -Pcontainers}, which downloads it). */
@EnabledIfSystemProperty(named = "chat.wildfly.home", matches = ".+", disabledReason = "run with -Pcontainers")
class WildFlyIT extends DeployedWarContract {
    @Override
    DeployedServer newServer(Map<String, String> settings) {
        return new WildFlyServer(settings).idleTimeout(CONTAINER_IDLE)
                .containerConfig(CONTAINER_SETTING, CONTAINER_SETTING_VALUE);
    }
}
