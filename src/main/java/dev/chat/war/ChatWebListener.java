package dev.chat.war;

import dev.chat.app.ChatApp;
import dev.chat.config.ChatConfig;
import dev.chat.config.EnvironmentSettings;
import dev.chat.config.MicroProfileSettings;
import dev.chat.config.Settings;
import java.lang.System.Logger.Level;
import org.eclipse.microprofile.config.ConfigProvider;
import dev.chat.ws.ChatConfigurator;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;

/**
 * The WAR's lifecycle adapter: starts the node when Payara or WildFly deploys the application and
 * stops it, gracefully, on undeploy. The container finds {@code ChatEndpoint} by its annotation.
 * Settings come from the container's MicroProfile Config for this application (its class loader),
 * so two deployments in one server can differ; a container without it gives the environment and
 * system properties.
 */
@WebListener
public final class ChatWebListener implements ServletContextListener {
    private static final System.Logger LOG = System.getLogger(ChatWebListener.class.getName());
    private ChatApp app;

    @Override
    public void contextInitialized(ServletContextEvent event) {
        app = ChatApp.start(ChatConfig.load(settings(event.getServletContext().getClassLoader())));
        ChatConfigurator.install(app);
        event.getServletContext().setAttribute(ChatApp.class.getName(), app);
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        if (app != null) {
            app.close(); // still installed meanwhile: late handshakes get a clean 1001
            ChatConfigurator.uninstall(app);
            app = null;
        }
    }

    private static Settings settings(ClassLoader application) {
        try {
            return new MicroProfileSettings(ConfigProvider.getConfig(application));
        } catch (LinkageError | IllegalStateException e) { // no MicroProfile Config API, or no implementation
            LOG.log(Level.WARNING, "no MicroProfile Config in this container ({0}): settings from the environment and system properties",
                    e.toString());
            return EnvironmentSettings.ofThisProcess();
        }
    }
}
