package dev.chat.war;

import dev.chat.app.ChatApp;
import dev.chat.config.ChatConfig;
import dev.chat.ws.ChatConfigurator;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;

/**
 * The WAR's lifecycle adapter: starts the node when Payara or WildFly deploys the application and
 * stops it, gracefully, on undeploy. The container finds {@code ChatEndpoint} by its annotation.
 */
@WebListener
public final class ChatWebListener implements ServletContextListener {
    private ChatApp app;

    @Override
    public void contextInitialized(ServletContextEvent event) {
        app = ChatApp.start(ChatConfig.fromEnvironment());
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
}
