package dev.chat.deploy;

import java.util.Map;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** The unchanged WAR on Payara Micro (run with {@code -Pcontainers}, which downloads it). */
@EnabledIfSystemProperty(named = "chat.payara.jar", matches = ".+", disabledReason = "run with -Pcontainers")
class PayaraIT extends DeployedWarContract {
    @Override
    DeployedServer newServer(Map<String, String> settings) {
        return new PayaraMicroServer(settings).idleTimeout(CONTAINER_IDLE)
                .containerConfig(CONTAINER_SETTING, CONTAINER_SETTING_VALUE);
    }
}
