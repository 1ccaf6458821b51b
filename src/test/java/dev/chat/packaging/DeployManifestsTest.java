package dev.chat.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.config.ChatConfig;
import dev.chat.testing.TestServer;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.Yaml;

/**
 * No Docker engine or Kubernetes cluster runs these manifests here, so this test holds them to the
 * code instead: the Deployment's port, probe paths, setting names and stop timings, the image's
 * port, user and settings, and every metric the Grafana dashboard and the alerting rules name
 * (against a running node's {@code /metrics}).
 */
@Timeout(60)
class DeployManifestsTest {
    private static final Path K8S = Path.of("deploy/k8s");
    private static final Path IMAGE = Path.of("deploy/jar.Dockerfile");
    private static final Path DASHBOARD = Path.of("deploy/grafana/chat.json");
    private static final Path ALERTS = Path.of("deploy/prometheus/alerts.yml");
    private static final Pattern SETTING = Pattern.compile("CHAT_[A-Z0-9_]+");

    /** Metrics the alerts may name that are not the node's; each is exact, so a typo still fails. */
    private static final Set<String> NOT_THE_NODES = Set.of(
            "up", // Prometheus's own, one per scrape target
            "kube_pod_status_ready"); // kube-state-metrics: the pod's readiness as Kubernetes sees it

    // ---- Kubernetes ----

    @Test
    void theContainerPortIsTheDefaultChatPortAndTheServicesTarget() throws IOException {
        Map<String, Object> container = container();
        int port = containerPort(container);
        assertEquals(configOfTheDeployment().port(), port, "containerPort against CHAT_PORT");
        Map<String, Object> service = manifest("Service");
        List<Map<String, Object>> ports = maps(map(service, "spec"), "ports");
        assertEquals(1, ports.size());
        assertEquals(port, resolvePort(container, ports.get(0).get("targetPort")), "the Service's targetPort");
    }

    @Test
    void theProbesAskTheThreeHealthPathsOnTheChatPort() throws IOException {
        Map<String, Object> container = container();
        Map<String, String> expected = Map.of(
                "startupProbe", "/health/started",
                "readinessProbe", "/health/ready",
                "livenessProbe", "/health/live");
        for (Map.Entry<String, String> probe : expected.entrySet()) {
            Map<String, Object> httpGet = map(map(container, probe.getKey()), "httpGet");
            assertEquals(probe.getValue(), httpGet.get("path"), probe.getKey());
            assertEquals(containerPort(container), resolvePort(container, httpGet.get("port")), probe.getKey() + "'s port");
        }
    }

    @Test
    void everyChatSettingTheManifestsAndTheImageNameIsOneTheCodeReads() throws IOException {
        Set<String> named = new TreeSet<>();
        List<Path> files = new ArrayList<>(k8sFiles());
        files.add(IMAGE);
        for (Path f : files) {
            Matcher m = SETTING.matcher(Files.readString(f));
            while (m.find()) {
                named.add(m.group());
            }
        }
        assertTrue(named.containsAll(Set.of("CHAT_NODE_ID", "CHAT_JWT_SECRET", "CHAT_HOST")), named::toString);
        Set<String> unknown = new TreeSet<>(named);
        unknown.removeAll(settingsTheCodeReads());
        assertEquals(Set.of(), unknown, "CHAT_ names in deploy/k8s or the image that no code reads");
    }

    @Test
    void theNodeIdIsThePodsNameAndTheSecretsComeFromTheSecret() throws IOException {
        Map<String, Map<String, Object>> env = env(container());
        assertEquals("metadata.name", map(map(env.get("CHAT_NODE_ID"), "valueFrom"), "fieldRef").get("fieldPath"));
        Map<String, Object> secret = manifest("Secret");
        String secretName = (String) map(secret, "metadata").get("name");
        Map<String, Object> keys = map(secret, "stringData");
        for (String name : List.of("CHAT_JWT_SECRET", "CHAT_DB_PASSWORD")) {
            assertFalse(env.get(name).containsKey("value"), name + " must not be a literal in the Deployment");
            Map<String, Object> ref = map(map(env.get(name), "valueFrom"), "secretKeyRef");
            assertEquals(secretName, ref.get("name"), name);
            assertTrue(keys.containsKey((String) ref.get("key")), name + ": key " + ref.get("key") + " is not in the Secret");
        }
    }

    @Test
    void theGracePeriodCoversThePreStopSleepAndTheShutdownGrace() throws IOException {
        Map<String, Object> pod = podSpec();
        int period = (Integer) pod.get("terminationGracePeriodSeconds");
        long preStop = preStopSeconds(map(map(container(), "lifecycle"), "preStop"));
        Duration grace = configOfTheDeployment().shutdownGrace();
        assertTrue(preStop > 0, "a preStop sleep lets the endpoints drop the pod before SIGTERM");
        assertTrue(period > preStop + grace.toSeconds(),
                "terminationGracePeriodSeconds " + period + " <= preStop " + preStop + " s + CHAT_SHUTDOWN_GRACE " + grace);
    }

    @Test
    void thePodRunsAsNonRootOnAReadOnlyRootFilesystemAsTheImageDoes() throws IOException {
        Map<String, Object> pod = map(podSpec(), "securityContext");
        assertEquals(true, pod.get("runAsNonRoot"));
        Map<String, Object> container = map(container(), "securityContext");
        assertEquals(true, container.get("readOnlyRootFilesystem"));
        assertEquals(false, container.get("allowPrivilegeEscalation"));

        String image = Files.readString(IMAGE);
        Matcher user = Pattern.compile("(?m)^USER (\\d+)").matcher(image);
        assertTrue(user.find(), "the image names a numeric USER");
        assertEquals(pod.get("runAsUser"), Integer.parseInt(user.group(1)));
        assertTrue(Integer.parseInt(user.group(1)) != 0);
        assertTrue(image.contains("CHAT_HOST=0.0.0.0"), "the image serves the network");
        assertTrue(image.contains("FROM eclipse-temurin:17-jre"), "Temurin JRE 17");
        assertTrue(image.contains("\"-jar\", \"/app/chat-server.jar\"]"), "the ENTRYPOINT runs the jar");
        Matcher expose = Pattern.compile("(?m)^EXPOSE (\\d+)").matcher(image);
        assertTrue(expose.find());
        assertEquals(containerPort(container()), Integer.parseInt(expose.group(1)));
        Set<String> mounts = new TreeSet<>();
        for (Map<String, Object> m : maps(container(), "volumeMounts")) {
            mounts.add((String) m.get("mountPath"));
        }
        assertTrue(mounts.contains("/tmp"), "/tmp is writable");
        assertTrue(mounts.contains((String) env(container()).get("CHAT_DATA_DIR").get("value")), "CHAT_DATA_DIR is writable");
    }

    @Test
    void theServiceAndTheDisruptionBudgetSelectTheDeploymentsPods() throws IOException {
        Map<String, Object> labels = map(map(map(map(manifest("Deployment"), "spec"), "template"), "metadata"), "labels");
        assertTrue(labels.entrySet().containsAll(map(map(manifest("Service"), "spec"), "selector").entrySet()));
        Map<String, Object> pdb = map(manifest("PodDisruptionBudget"), "spec");
        assertEquals(1, pdb.get("minAvailable"));
        assertTrue(labels.entrySet().containsAll(map(map(pdb, "selector"), "matchLabels").entrySet()));
        assertEquals(2, map(manifest("Deployment"), "spec").get("replicas"));
    }

    // ---- Grafana and Prometheus ----

    @Test
    void metricNamesAreReadOutOfPromQl() {
        assertEquals(Set.of("a_bucket", "b_total", "c"), metricNames(
                "histogram_quantile(0.99, sum by (le, instance) (rate(a_bucket{code=\"4001\", x=~\"y_z\"}[$__rate_interval])))"
                        + " / ignoring(le) sum(increase(b_total[5m] offset 1h)) > 0.25 and on() c > bool 1"));
    }

    @Test
    void everyMetricTheDashboardAndTheAlertsNameIsOnARunningNodesMetrics() throws Exception {
        Set<String> named = new TreeSet<>();
        for (String expr : dashboardExpressions()) {
            named.addAll(metricNames(expr));
        }
        for (String expr : alertExpressions()) {
            named.addAll(metricNames(expr));
        }
        assertTrue(named.containsAll(Set.of("chat_connections_open", "chat_delivery_latency_seconds_bucket",
                "chat_redis_outages_total", "chat_database_outages_total")), named::toString);
        named.removeAll(NOT_THE_NODES);

        Set<String> exported;
        try (TestServer server = TestServer.start()) {
            HttpResponse<String> metrics = server.get("metrics");
            assertEquals(200, metrics.statusCode());
            exported = sampleNames(metrics.body());
        }
        Set<String> missing = new TreeSet<>(named);
        missing.removeAll(exported);
        assertEquals(Set.of(), missing, "metrics named in deploy/grafana or deploy/prometheus that a node does not export");
    }

    // ---- reading the manifests ----

    private static List<Path> k8sFiles() throws IOException {
        try (var files = Files.list(K8S)) {
            return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    /** The one manifest of that kind in deploy/k8s. */
    private static Map<String, Object> manifest(String kind) throws IOException {
        List<Map<String, Object>> found = new ArrayList<>();
        for (Path f : k8sFiles()) {
            for (Object doc : new Yaml().loadAll(Files.readString(f))) {
                if (doc instanceof Map<?, ?> m && kind.equals(m.get("kind"))) {
                    found.add(cast(m));
                }
            }
        }
        assertEquals(1, found.size(), "manifests of kind " + kind);
        return found.get(0);
    }

    private static Map<String, Object> podSpec() throws IOException {
        return map(map(map(manifest("Deployment"), "spec"), "template"), "spec");
    }

    private static Map<String, Object> container() throws IOException {
        List<Map<String, Object>> containers = maps(podSpec(), "containers");
        assertEquals(1, containers.size());
        return containers.get(0);
    }

    private static int containerPort(Map<String, Object> container) {
        List<Map<String, Object>> ports = maps(container, "ports");
        assertEquals(1, ports.size());
        return (Integer) ports.get(0).get("containerPort");
    }

    /** A port given by number or by the name of one of the container's ports. */
    private static int resolvePort(Map<String, Object> container, Object port) {
        if (port instanceof Integer number) {
            return number;
        }
        for (Map<String, Object> p : maps(container, "ports")) {
            if (port.equals(p.get("name"))) {
                return (Integer) p.get("containerPort");
            }
        }
        throw new AssertionError("no container port named " + port);
    }

    private static Map<String, Map<String, Object>> env(Map<String, Object> container) {
        Map<String, Map<String, Object>> env = new HashMap<>();
        for (Map<String, Object> e : maps(container, "env")) {
            env.put((String) e.get("name"), e);
        }
        return env;
    }

    /** The config the node builds from the Deployment's literal values of the settings this test reads. */
    private static ChatConfig configOfTheDeployment() throws IOException {
        Map<String, String> settings = new HashMap<>();
        env(container()).forEach((name, e) -> {
            if ((name.equals("CHAT_PORT") || name.equals("CHAT_SHUTDOWN_GRACE")) && e.containsKey("value")) {
                settings.put(name, String.valueOf(e.get("value")));
            }
        });
        return ChatConfig.load(settings, new Properties());
    }

    /** A preStop hook's sleep: {@code exec: [sleep, N]} or Kubernetes' own {@code sleep: {seconds: N}}. */
    private static long preStopSeconds(Map<String, Object> preStop) {
        if (preStop.get("sleep") instanceof Map<?, ?> sleep) {
            return ((Number) sleep.get("seconds")).longValue();
        }
        List<?> command = list(map(preStop, "exec"), "command");
        assertEquals(2, command.size(), command::toString);
        assertEquals("sleep", command.get(0));
        return Long.parseLong(String.valueOf(command.get(1)));
    }

    /**
     * The settings the code reads: every CHAT_ name quoted in the config package's sources, that
     * the README's configuration table lists as not retired (DocumentedTablesTest keeps the two
     * equal; a retired name is still quoted in the code, to warn about it).
     */
    private static Set<String> settingsTheCodeReads() throws IOException {
        Set<String> inTheCode = new TreeSet<>();
        try (var files = Files.list(Path.of("src/main/java/dev/chat/config"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = Pattern.compile("\"(CHAT_[A-Z0-9_]+)\"").matcher(Files.readString(f));
                while (m.find()) {
                    inTheCode.add(m.group(1));
                }
            }
        }
        Set<String> retired = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("README.md"))) {
            if (line.startsWith("| `CHAT_") && line.split("\\|")[2].trim().equals("retired")) {
                Matcher m = SETTING.matcher(line.split("\\|")[1]);
                while (m.find()) {
                    retired.add(m.group());
                }
            }
        }
        assertFalse(retired.isEmpty(), "the README's configuration table has retired rows");
        inTheCode.removeAll(retired);
        return inTheCode;
    }

    // ---- reading the dashboard, the alerts and the metrics ----

    private static List<String> dashboardExpressions() throws IOException {
        List<String> exprs = new ArrayList<>();
        collectExpr(TestServer.json(Files.readString(DASHBOARD)), exprs);
        assertFalse(exprs.isEmpty(), "the dashboard has queries");
        return exprs;
    }

    /** Every {@code expr} anywhere in the dashboard (panels, rows' panels, targets). */
    private static void collectExpr(Object node, List<String> exprs) {
        if (node instanceof Map<?, ?> m) {
            m.forEach((k, v) -> {
                if ("expr".equals(k) && v instanceof String s) {
                    exprs.add(s);
                } else {
                    collectExpr(v, exprs);
                }
            });
        } else if (node instanceof List<?> l) {
            l.forEach(v -> collectExpr(v, exprs));
        }
    }

    private static List<String> alertExpressions() throws IOException {
        Map<String, Object> rules = cast(new Yaml().load(Files.readString(ALERTS)));
        List<String> exprs = new ArrayList<>();
        for (Map<String, Object> group : maps(rules, "groups")) {
            for (Map<String, Object> rule : maps(group, "rules")) {
                assertNotNull(rule.get("expr"), String.valueOf(rule.get("alert")));
                exprs.add((String) rule.get("expr"));
            }
        }
        assertFalse(exprs.isEmpty(), "the alerts have rules");
        return exprs;
    }

    private static final Set<String> PROMQL_WORDS = Set.of(
            "and", "or", "unless", "bool", "offset", "inf", "nan");

    /**
     * The metric names in a PromQL expression: identifiers that are not functions (followed by
     * "("), keywords, label names (in braces or in by/without/on/ignoring lists), strings,
     * ranges or Grafana variables.
     */
    static Set<String> metricNames(String expr) {
        String s = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", " ")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^\\]]*]", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
                .replaceAll("\\$\\w+", " ");
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("(?<![A-Za-z0-9_:.])([A-Za-z_:][A-Za-z0-9_:]*)(\\s*\\()?").matcher(s);
        while (m.find()) {
            if (m.group(2) == null && !PROMQL_WORDS.contains(m.group(1).toLowerCase())) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /** The name of every sample in a Prometheus text exposition ({@code a_bucket}, {@code a_count}, ...). */
    private static Set<String> sampleNames(String exposition) {
        Set<String> names = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        return names;
    }

    // ---- untyped YAML ----

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object o) {
        assertTrue(o instanceof Map, () -> "not a mapping: " + o);
        return (Map<String, Object>) o;
    }

    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        Object child = parent.get(key);
        assertNotNull(child, () -> "no " + key + " in " + parent.keySet());
        return cast(child);
    }

    @SuppressWarnings("unchecked")
    private static List<?> list(Map<String, Object> parent, String key) {
        Object child = parent.get(key);
        assertTrue(child instanceof List, () -> key + " is not a list in " + parent.keySet());
        return (List<?>) child;
    }

    /** A list of mappings, such as a pod's containers or a container's env. */
    private static List<Map<String, Object>> maps(Map<String, Object> parent, String key) {
        return list(parent, key).stream().map(DeployManifestsTest::cast).toList();
    }
}
