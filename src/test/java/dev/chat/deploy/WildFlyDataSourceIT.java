package dev.chat.deploy;

import dev.chat.testing.PostgresServer;
import java.util.Map;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** The WAR on WildFly with a DataSource {@code java:jboss/datasources/ChatDS} on PostgreSQL (run with {@code -Pcontainers}). */
@EnabledIfSystemProperty(named = "chat.wildfly.home", matches = ".+", disabledReason = "run with -Pcontainers")
class WildFlyDataSourceIT extends DataSourceContract {
    @Override
    String jndiName() {
        return "java:jboss/datasources/ChatDS";
    }

    @Override
    DeployedServer newServer(Map<String, String> settings, String jndiName, String jdbcUrl, String user,
                             PostgresServer pg, String database) {
        try {
            return new WildFlyServer(settings, new WildFlyServer.PostgresDataSource(jndiName, jdbcUrl, user, driverJar()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
