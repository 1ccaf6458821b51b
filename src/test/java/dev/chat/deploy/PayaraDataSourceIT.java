package dev.chat.deploy;

import dev.chat.testing.PostgresServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** The WAR on Payara Micro with a JDBC pool and resource {@code jdbc/chat} on PostgreSQL (run with {@code -Pcontainers}). */
@EnabledIfSystemProperty(named = "chat.payara.jar", matches = ".+", disabledReason = "run with -Pcontainers")
class PayaraDataSourceIT extends DataSourceContract {
    @Override
    String jndiName() {
        return "jdbc/chat";
    }

    @Override
    DeployedServer newServer(Map<String, String> settings, String jndiName, String jdbcUrl, String user,
                             PostgresServer pg, String database) {
        try {
            return new PayaraMicroServer(settings, List.of(
                    // as the README's recipe: connections validated when handed out, all dropped on a failure
                    // (else the pool keeps handing out dead ones after a database restart)
                    "create-jdbc-connection-pool --restype javax.sql.DataSource"
                            + " --datasourceclassname org.postgresql.ds.PGSimpleDataSource"
                            + " --isconnectvalidatereq=true --validationmethod=auto-commit --failconnection=true"
                            + " --property serverName=127.0.0.1:portNumber=" + pg.port() + ":databaseName=" + database
                            + ":user=" + user + ":password=unused-trust-auth ChatPool", // Payara insists on a password; the test server trusts loopback
                    "create-jdbc-resource --connectionpoolid ChatPool " + jndiName),
                    List.of(driverJar()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
