package dev.chat.browser;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.UnexpectedAlertBehaviour;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * One headless Chromium (Debian's {@code chromium} and {@code chromium-driver} packages) with its
 * own chromedriver and a fresh profile, plus the page actions the browser tests share. Both
 * binaries are given explicitly, so Selenium Manager never runs and nothing is downloaded; when
 * either is missing the test fails (it is never skipped).
 */
final class Browser implements AutoCloseable {
    static final String CHROMIUM = "/usr/bin/chromium";
    static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    /**
     * Selenium looks for a CDP binding matching the browser at every start and warns when it has
     * none; these tests send raw CDP commands through chromedriver only ({@link #offline}), so no
     * selenium-devtools-vNNN (tied to one Chromium) is added.
     */
    private static final Logger CDP_FINDER = Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

    static {
        CDP_FINDER.setLevel(Level.SEVERE);
    }

    private final ChromeDriverService service;
    private final ChromeDriver driver;
    private final WebDriverWait wait;
    private final Path profile;

    private Browser(ChromeDriverService service, ChromeDriver driver, Path profile) {
        this.service = service;
        this.driver = driver;
        this.profile = profile;
        this.wait = new WebDriverWait(driver, TIMEOUT, Duration.ofMillis(50));
    }

    /** Fails (never skips) with the install command when Chromium or chromedriver is missing. */
    static void requireInstalled() {
        for (String binary : List.of(CHROMIUM, CHROMEDRIVER)) {
            if (!Files.isExecutable(Path.of(binary))) {
                fail(binary + " is missing: the browser tests need Debian's Chromium and its driver; "
                        + "install them with `apt-get install -y chromium chromium-driver`");
            }
        }
    }

    static Browser desktop() {
        return open(1280, 900, false);
    }

    /**
     * A 390x844 viewport (an iPhone 12-14). Headless Chromium will not make a window narrower than
     * 500 px, so chromedriver's device emulation sets the viewport (mobile, touch, DPR 1).
     */
    static Browser phone() {
        return open(390, 844, true);
    }

    /** Starts several browsers at once (each takes about two seconds to start), e.g. {@code Browser::desktop}. */
    static List<Browser> startAll(List<Supplier<Browser>> kinds) {
        List<CompletableFuture<Browser>> starting = new ArrayList<>();
        for (Supplier<Browser> kind : kinds) {
            starting.add(CompletableFuture.supplyAsync(kind));
        }
        List<Browser> started = new ArrayList<>();
        RuntimeException failure = null;
        for (CompletableFuture<Browser> future : starting) {
            try {
                started.add(future.join());
            } catch (CompletionException e) {
                failure = e.getCause() instanceof RuntimeException r ? r : e;
            }
        }
        if (failure != null) {
            started.forEach(Browser::close);
            throw failure;
        }
        return started;
    }

    private static Browser open(int width, int height, boolean mobile) {
        requireInstalled();
        // Given explicitly (here and to the service): Selenium Manager is skipped, nothing is fetched.
        System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, CHROMEDRIVER);
        Path profile;
        try {
            profile = Files.createTempDirectory("chat-chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments(
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions",
                "--window-size=" + width + "," + height, "--user-data-dir=" + profile);
        if (mobile) {
            options.setExperimentalOption("mobileEmulation", Map.of("deviceMetrics",
                    Map.of("width", width, "height", height, "pixelRatio", 1.0, "mobile", true, "touch", true)));
        }
        // An alert stays open, so the XSS test can look for it instead of it being dismissed.
        options.setUnhandledPromptBehaviour(UnexpectedAlertBehaviour.IGNORE);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort()
                .build();
        ChromeDriver driver = null;
        try {
            driver = new ChromeDriver(service, options);
            if (!mobile) {
                // --window-size is the outer size; make the viewport (and so the screenshots) width x height.
                List<?> inner = (List<?>) driver.executeScript("return [window.innerWidth, window.innerHeight];");
                Dimension outer = driver.manage().window().getSize();
                driver.manage().window().setSize(new Dimension(
                        outer.width + width - ((Number) inner.get(0)).intValue(),
                        outer.height + height - ((Number) inner.get(1)).intValue()));
            }
            return new Browser(service, driver, profile);
        } catch (RuntimeException e) {
            if (driver != null) {
                driver.quit();
            }
            service.stop();
            deleteTree(profile);
            throw e;
        }
    }

    ChromeDriver driver() {
        return driver;
    }

    WebDriverWait waiter() {
        return wait;
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    WebElement find(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    List<WebElement> findAll(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    WebElement visible(String css) {
        return wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(css)));
    }

    WebElement present(String css) {
        return wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(css)));
    }

    /** The page's text of an element as in the DOM (textContent: keeps newlines, ignores CSS). */
    static String text(WebElement element) {
        return element.getDomProperty("textContent");
    }

    /**
     * A sentence as read, without the bidi isolates (U+2068, U+2069) the page puts around each user
     * name in it (view.js, isolate()); they are invisible, but part of the text.
     */
    static String read(String sentence) {
        return sentence.replace("\u2068", "").replace("\u2069", "");
    }

    void load(URI base) {
        driver.get(base.toString());
        visible("#auth-view #username");
    }

    /** Registers through the form; returns when the chat view is up and the socket is online. */
    void register(URI base, String user) {
        signIn(base, user, "#register-btn");
    }

    /** Logs in through the form as a user registered before (another device of theirs); returns when online. */
    void login(URI base, String user) {
        signIn(base, user, "#login-btn");
    }

    private void signIn(URI base, String user, String button) {
        load(base);
        find("#username").sendKeys(user);
        find("#password").sendKeys("password-" + user);
        find(button).click();
        waitOnline();
    }

    /**
     * What a badge of a room or DM entry shows ({@code .unread} or {@code .mention-count}), or ""
     * when it is hidden or there is no such entry.
     */
    String badge(String entry, String kind) {
        Object t = js("const b = document.querySelector(arguments[0]); return b && !b.hidden ? b.textContent : '';", entry + " ." + kind);
        return String.valueOf(t);
    }

    /** Points at a message (as a mouse would, so its actions show) and clicks one of them. */
    void act(WebElement message, String action) {
        js("arguments[0].scrollIntoView({block: 'center'})", message);
        new Actions(driver).moveToElement(message).perform();
        message.findElement(By.cssSelector(".msg-actions " + action)).click();
    }

    void waitOnline() {
        visible("#chat-view");
        present("#conn-state[data-state='online']");
    }

    /** Waits until the server confirmed the join of {@code room}: the member list shows this user. */
    void waitJoined(String room, String me) {
        present("#room-list li.room[data-room='" + room + "']:not(.joining)");
        present("#members li[data-user='" + me + "']");
    }

    /** Types into the composer and presses Enter. */
    void send(String text) {
        WebElement input = find("#message-input");
        input.sendKeys(text);
        input.sendKeys(org.openqa.selenium.Keys.ENTER);
    }

    /** The message element in view whose text is exactly {@code text}, once there. */
    WebElement message(String from, String text) {
        return wait.until(d -> d.findElements(By.cssSelector("#messages li.msg[data-from='" + from + "']")).stream()
                .filter(m -> text.equals(text(m.findElement(By.cssSelector(".text")))))
                .findFirst().orElse(null));
    }

    /**
     * Cuts this page off the network (Chrome's DevTools network emulation), or reconnects it. New
     * connections fail while it is offline; a WebSocket already open is not closed by it.
     */
    void offline(boolean offline) {
        driver.executeCdpCommand("Network.enable", Map.of());
        driver.executeCdpCommand("Network.emulateNetworkConditions", Map.of(
                "offline", offline, "latency", 0, "downloadThroughput", -1, "uploadThroughput", -1));
    }

    /**
     * Installs {@code browser/wire-tap.js} in every document this browser loads from now on (call
     * it before {@link #load}): {@code window.wireTap} records the frames each way and may drop or
     * rewrite the server's objects before the page sees them (its {@code rule}).
     */
    void tapWire() {
        String source;
        try (var in = Browser.class.getResourceAsStream("/browser/wire-tap.js")) {
            if (in == null) {
                throw new IllegalStateException("browser/wire-tap.js is not on the test classpath");
            }
            source = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", source));
    }

    /**
     * Sets the tap's rule, a JavaScript function expression over one server object (see
     * {@code wire-tap.js}): it returns the object, another one in its place, or null to drop it.
     */
    void wireRule(String function) {
        js("window.wireTap.rule = (" + function + ");");
    }

    /** The objects of this type the page sent (as recorded by the tap), oldest first. */
    List<Map<String, Object>> sent(String type) {
        return tapped("sent", type);
    }

    /** The objects of this type the server sent to the page (before the tap's rule), oldest first. */
    List<Map<String, Object>> received(String type) {
        return tapped("received", type);
    }

    /** How many server objects the tap's rule dropped or rewrote so far. */
    long tapChanges() {
        return ((Number) js("return window.wireTap.changed.length;")).longValue();
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> tapped(String list, String type) {
        return (List<Map<String, Object>>) js("return window.wireTap." + list + ".filter(f => f.type === arguments[0]);", type);
    }

    /** A wait with its own deadline, for behaviours that have one (e.g. a 5 s timeout). */
    WebDriverWait waiter(Duration deadline) {
        return new WebDriverWait(driver, deadline, Duration.ofMillis(50));
    }

    Path screenshot(String name) {
        try {
            Path dir = Path.of("target", "screenshots");
            Files.createDirectories(dir);
            Path file = dir.resolve(name + ".png");
            Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Console errors (uncaught exceptions, CSP violations, failed loads) since the last call. */
    List<String> consoleErrors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                .collect(Collectors.toList());
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
            deleteTree(profile);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temp profile is harmless
        }
    }
}
