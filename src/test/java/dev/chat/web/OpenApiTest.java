package dev.chat.web;

import static dev.chat.testing.OpenApiSchemas.pointer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.chat.config.Version;
import dev.chat.event.WebhookEvent;
import dev.chat.protocol.ErrorCode;
import dev.chat.testing.OpenApiSchemas;
import dev.chat.testing.ServerApiClient;
import dev.chat.testing.TestServer;
import dev.chat.testing.WsClient;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code GET /api/openapi.json} against the server's real answers: every documented operation is
 * called on a real server, once as it should be and at least once wrongly (a bad key, a bad body, an
 * unknown room, a session that is none), and each answer's status must be documented for that path
 * and method and its body must match the documented schema (closed objects, so a field the document
 * does not know fails). The table of calls must cover every operation, and the document every route
 * of {@link HttpApi} and {@link ServerApi}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OpenApiTest {
    private static final String METRICS_TOKEN = "openapi-test-metrics-token-0123";
    private static final String ROOM = "oa-history";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final AtomicInteger UNIQUE = new AtomicInteger();

    private static TestServer server;
    /** The document as this server serves it. */
    private static OpenApiSchemas served;
    private static String alice;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(Map.of("CHAT_API_KEYS", ServerApiClient.KEYS, "CHAT_METRICS_TOKEN", METRICS_TOKEN));
        HttpResponse<String> document = server.get("api/openapi.json");
        assertEquals(200, document.statusCode(), document::body);
        served = OpenApiSchemas.of(document.body());
        alice = server.token("oa-alice");
        String bob = server.token("oa-bob");
        // a history with every kind of event the server API's history can hold (bob a member, so he can be mentioned)
        try (WsClient b = server.client(bob); WsClient a = server.client(alice)) {
            b.join(ROOM);
            a.join(ROOM);
            long first = a.say(ROOM, "first, @oa-bob");
            a.send(Map.of("type", "send", "room", ROOM, "text", "a reply", "replyTo", first, "id", "reply"));
            long reply = ((Number) a.expect("ack").get("seq")).longValue();
            a.send(Map.of("type", "edit", "room", ROOM, "target", first, "text", "first, edited", "id", "edit"));
            a.expect("ack");
            a.send(Map.of("type", "react", "room", ROOM, "target", first, "emoji", "\ud83d\udc4d", "id", "react"));
            a.expect("ack");
            a.send(Map.of("type", "delete", "room", ROOM, "target", reply, "id", "delete"));
            a.expect("ack");
        }
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    // ---------------------------------------------------------------- the table of calls

    /** A request that gets an answer. */
    @FunctionalInterface
    interface Exchange {
        HttpResponse<String> send() throws Exception;
    }

    /** One call of a documented operation ({@code method} and {@code path} as the document has them) and the status it must get. */
    record Call(String method, String path, int status, String why, Exchange exchange) {
        @Override
        public String toString() {
            return method + " " + path + " " + status + ": " + why;
        }
    }

    static Stream<Call> calls() {
        List<Call> calls = new ArrayList<>(List.of(
                // user API
                new Call("POST", "/api/register", 201, "a new account", () -> json("POST", "api/register", credentials(unique("reg")))),
                new Call("POST", "/api/register", 409, "a taken name", () -> json("POST", "api/register", credentials("oa-alice"))),
                new Call("POST", "/api/register", 400, "a body without the fields", () -> json("POST", "api/register", "{}")),
                new Call("POST", "/api/register", 400, "an invalid name", () -> json("POST", "api/register", credentials("no spaces"))),
                new Call("POST", "/api/register", 415, "no JSON content type",
                        () -> request("POST", "api/register", credentials(unique("reg")), "Content-Type", "text/plain")),
                new Call("POST", "/api/register", 403, "another site's page",
                        () -> json("POST", "api/register", credentials(unique("reg")), "Origin", "https://elsewhere.example")),
                new Call("POST", "/api/login", 200, "the refresh token as a cookie", () -> json("POST", "api/login", credentials("oa-alice"))),
                new Call("POST", "/api/login", 200, "the refresh token in the body", () -> json("POST", "api/login", bodyLogin("oa-alice"))),
                new Call("POST", "/api/login", 401, "a wrong password",
                        () -> json("POST", "api/login", "{\"username\":\"oa-alice\",\"password\":\"wrong-password\"}")),
                new Call("POST", "/api/login", 400, "not a JSON object", () -> json("POST", "api/login", "[1,2]")),
                new Call("POST", "/api/refresh", 200, "a body token", () -> json("POST", "api/refresh", "{\"refreshToken\":\"" + refreshToken() + "\"}")),
                new Call("POST", "/api/refresh", 200, "the cookie from the page",
                        () -> json("POST", "api/refresh", "{}", "Cookie", cookie(), "Origin", server.origin())),
                new Call("POST", "/api/refresh", 401, "a token nobody issued", () -> json("POST", "api/refresh", "{\"refreshToken\":\"made-up\"}")),
                new Call("POST", "/api/refresh", 401, "no token at all", () -> json("POST", "api/refresh", "{}")),
                new Call("POST", "/api/refresh", 403, "the cookie without an Origin", () -> json("POST", "api/refresh", "{}", "Cookie", cookie())),
                new Call("POST", "/api/logout", 200, "a body token", () -> json("POST", "api/logout", "{\"refreshToken\":\"" + refreshToken() + "\"}")),
                new Call("POST", "/api/logout", 200, "a Bearer token, everywhere",
                        () -> json("POST", "api/logout", "{\"everywhere\":true}", "Authorization", "Bearer " + server.token(unique("out")))),
                new Call("POST", "/api/logout", 401, "no session", () -> json("POST", "api/logout", "{}")),
                new Call("POST", "/api/password", 200, "the right password", () -> {
                    String user = unique("pw");
                    return json("POST", "api/password", "{\"password\":\"password-" + user + "\",\"newPassword\":\"a-new-password\"}",
                            "Authorization", "Bearer " + server.token(user));
                }),
                new Call("POST", "/api/password", 403, "a wrong current password",
                        () -> json("POST", "api/password", "{\"password\":\"wrong-password\",\"newPassword\":\"a-new-password\"}", "Authorization", "Bearer " + alice)),
                new Call("POST", "/api/password", 400, "a new password too short",
                        () -> json("POST", "api/password", "{\"password\":\"password-oa-alice\",\"newPassword\":\"short\"}", "Authorization", "Bearer " + alice)),
                new Call("POST", "/api/password", 401, "no session",
                        () -> json("POST", "api/password", "{\"password\":\"x\",\"newPassword\":\"a-new-password\"}")),
                new Call("GET", "/api/protocol", 200, "the tables", () -> request("GET", "api/protocol", null)),
                new Call("GET", "/api/auth", 200, "the sign-ins", () -> request("GET", "api/auth", null)),
                new Call("GET", "/api/openapi.json", 200, "this document", () -> request("GET", "api/openapi.json", null)),
                // operations
                new Call("GET", "/metrics", 200, "with the token", () -> request("GET", "metrics", null, "Authorization", "Bearer " + METRICS_TOKEN)),
                new Call("GET", "/metrics", 401, "without the token", () -> request("GET", "metrics", null)),
                new Call("GET", "/metrics", 401, "a wrong token", () -> request("GET", "metrics", null, "Authorization", "Bearer " + METRICS_TOKEN + "x")),
                new Call("GET", "/health", 200, "every check", () -> request("GET", "health", null)),
                new Call("GET", "/health/live", 200, "liveness", () -> request("GET", "health/live", null)),
                new Call("GET", "/health/ready", 200, "readiness", () -> request("GET", "health/ready", null)),
                new Call("GET", "/health/started", 200, "startup", () -> request("GET", "health/started", null)),
                // server API
                new Call("POST", "/api/server/messages", 201, "a bot in a room",
                        () -> api("POST", "messages", "{\"room\":\"" + ROOM + "\",\"from\":\"bot:hr\",\"text\":\"hello\",\"idempotencyKey\":\"" + unique("k") + "\"}")),
                new Call("POST", "/api/server/messages", 201, "a bot to a user",
                        () -> api("POST", "messages", "{\"to\":\"oa-bob\",\"from\":\"bot:hr\",\"text\":\"psst\"}")),
                new Call("POST", "/api/server/messages", 404, "a room nobody has",
                        () -> api("POST", "messages", "{\"room\":\"oa-nowhere\",\"from\":\"bot:hr\",\"text\":\"hello\"}")),
                new Call("POST", "/api/server/messages", 400, "both room and to",
                        () -> api("POST", "messages", "{\"room\":\"" + ROOM + "\",\"to\":\"oa-bob\",\"from\":\"bot:hr\",\"text\":\"x\"}")),
                new Call("POST", "/api/server/messages", 400, "not a JSON object", () -> api("POST", "messages", "[]")),
                new Call("POST", "/api/server/messages", 403, "a user who is no member", () -> {
                    String room = unique("room");
                    assertEquals(201, api("POST", "rooms", "{\"room\":\"" + room + "\",\"owner\":\"oa-alice\"}").statusCode());
                    return api("POST", "messages", "{\"room\":\"" + room + "\",\"from\":\"oa-bob\",\"text\":\"hello\"}");
                }),
                new Call("POST", "/api/server/messages", 415, "no JSON content type",
                        () -> ServerApiClient.of(server.base()).call("POST", "messages", null)),
                new Call("POST", "/api/server/rooms", 201, "a new room",
                        () -> api("POST", "rooms", "{\"room\":\"" + unique("room") + "\",\"owner\":\"oa-alice\",\"private\":true,\"members\":[\"oa-bob\"]}")),
                new Call("POST", "/api/server/rooms", 409, "a room that exists",
                        () -> api("POST", "rooms", "{\"room\":\"" + ROOM + "\",\"owner\":\"oa-alice\"}")),
                new Call("POST", "/api/server/rooms", 404, "an owner nobody is",
                        () -> api("POST", "rooms", "{\"room\":\"" + unique("room") + "\",\"owner\":\"oa-nobody\"}")),
                new Call("POST", "/api/server/rooms", 400, "private is no boolean",
                        () -> api("POST", "rooms", "{\"room\":\"" + unique("room") + "\",\"owner\":\"oa-alice\",\"private\":\"yes\"}")),
                new Call("GET", "/api/server/rooms/{room}", 200, "a room", () -> api("GET", "rooms/" + ROOM, null)),
                new Call("GET", "/api/server/rooms/{room}", 404, "a room nobody has", () -> api("GET", "rooms/oa-nowhere", null)),
                new Call("GET", "/api/server/rooms/{room}/messages", 200, "every kind of event", () -> api("GET", "rooms/" + ROOM + "/messages", null)),
                new Call("GET", "/api/server/rooms/{room}/messages", 200, "a page", () -> api("GET", "rooms/" + ROOM + "/messages?before=3&limit=1", null)),
                new Call("GET", "/api/server/rooms/{room}/messages", 400, "a limit of 0", () -> api("GET", "rooms/" + ROOM + "/messages?limit=0", null)),
                new Call("GET", "/api/server/rooms/{room}/messages", 404, "a room nobody has", () -> api("GET", "rooms/oa-nowhere/messages", null)),
                new Call("POST", "/api/server/rooms/{room}/members", 201, "a new member", () -> {
                    String room = unique("room");
                    assertEquals(201, api("POST", "rooms", "{\"room\":\"" + room + "\",\"owner\":\"oa-alice\"}").statusCode());
                    return api("POST", "rooms/" + room + "/members", "{\"user\":\"oa-bob\"}");
                }),
                new Call("POST", "/api/server/rooms/{room}/members", 200, "the owner, a member already", () -> {
                    String room = unique("room");
                    assertEquals(201, api("POST", "rooms", "{\"room\":\"" + room + "\",\"owner\":\"oa-alice\"}").statusCode());
                    return api("POST", "rooms/" + room + "/members", "{\"user\":\"oa-alice\"}");
                }),
                new Call("POST", "/api/server/rooms/{room}/members", 404, "a user nobody is",
                        () -> api("POST", "rooms/" + ROOM + "/members", "{\"user\":\"oa-nobody\"}")),
                new Call("POST", "/api/server/rooms/{room}/members", 400, "no user", () -> api("POST", "rooms/" + ROOM + "/members", "{}")),
                new Call("DELETE", "/api/server/rooms/{room}/members/{user}", 200, "a kick", () -> api("DELETE", "rooms/" + ROOM + "/members/oa-bob", null)),
                new Call("DELETE", "/api/server/rooms/{room}/members/{user}", 404, "a room nobody has",
                        () -> api("DELETE", "rooms/oa-nowhere/members/oa-bob", null)),
                new Call("GET", "/api/server/users/{user}", 200, "a user", () -> api("GET", "users/oa-alice", null)),
                new Call("GET", "/api/server/users/{user}", 404, "a user nobody is", () -> api("GET", "users/oa-nobody", null)),
                new Call("POST", "/api/server/users/{user}/disconnect", 202, "no body", () -> api("POST", "users/oa-bob/disconnect", null)),
                new Call("POST", "/api/server/users/{user}/disconnect", 202, "a code", () -> api("POST", "users/oa-bob/disconnect", "{\"code\":1001}")),
                new Call("POST", "/api/server/users/{user}/disconnect", 400, "no close code", () -> api("POST", "users/oa-bob/disconnect", "{\"code\":1}")),
                new Call("POST", "/api/server/users/{user}/disconnect", 404, "a user nobody is", () -> api("POST", "users/oa-nobody/disconnect", null)),
                new Call("POST", "/api/server/users/{user}/ban", 200, "a ban", () -> api("POST", "users/oa-banned/ban", null)),
                new Call("POST", "/api/server/users/{user}/ban", 404, "a bot", () -> api("POST", "users/bot%3Ahr/ban", null)),
                new Call("DELETE", "/api/server/users/{user}/ban", 200, "a ban lifted", () -> api("DELETE", "users/oa-banned/ban", null)),
                new Call("DELETE", "/api/server/users/{user}/ban", 404, "a bot", () -> api("DELETE", "users/bot%3Ahr/ban", null))));
        // every operation of the server API refuses a wrong key alike
        for (String[] op : operations(OpenApiSchemas.resource())) {
            if (op[1].startsWith("/api/server/")) {
                String path = op[1].substring("/api/server/".length()).replace("{room}", ROOM).replace("{user}", "oa-alice");
                calls.add(new Call(op[0], op[1], 401, "a wrong key", () -> new ServerApiClient(server.base(), ServerApiClient.SECRET + "x")
                        .call(op[0], path, "POST".equals(op[0]) ? "{}" : null)));
            }
        }
        return calls.stream();
    }

    /** The document's operations: {method, path} of each. */
    private static List<String[]> operations(OpenApiSchemas document) {
        List<String[]> out = new ArrayList<>();
        document.document().path("paths").properties().forEach(path -> path.getValue().properties().forEach(m -> {
            if (List.of("get", "put", "post", "delete", "patch", "head", "options", "trace").contains(m.getKey())) {
                out.add(new String[] {m.getKey().toUpperCase(Locale.ROOT), path.getKey()});
            }
        }));
        return out;
    }

    // ---------------------------------------------------------------- the tests

    @ParameterizedTest(name = "{0}")
    @MethodSource("calls")
    void eachAnswerHasADocumentedStatusAndMatchesItsSchema(Call call) throws Exception {
        HttpResponse<String> answer = call.exchange().send();
        assertEquals(call.status(), answer.statusCode(), () -> call + ": " + answer.body());
        String operation = pointer("paths", call.path(), call.method().toLowerCase(Locale.ROOT));
        assertFalse(served.document().at(operation).isMissingNode(), call + ": the document has no such operation");
        JsonNode responses = served.document().at(operation + "/responses");
        String status = Integer.toString(answer.statusCode());
        String key = responses.has(status) ? status : responses.has(status.charAt(0) + "XX") ? status.charAt(0) + "XX" : "default";
        assertTrue(responses.has(key), () -> call + ": status " + status + " is not documented; the document has " + names(responses));
        conforms(call.toString(), operation + pointer("responses", key), answer);
    }

    /** Every path refuses a method it lacks with the documented 405 (below {@code /api/server/} with the key, so the method is what fails). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("undocumentedMethods")
    void aMethodAnEndpointLacksIsTheDocumented405(String method, String path) throws Exception {
        String concrete = path.substring(1).replace("{room}", ROOM).replace("{user}", "oa-alice");
        boolean serverApi = path.startsWith("/api/server/");
        HttpResponse<String> answer = serverApi ? api(method, concrete.substring("api/server/".length()), null) : request(method, concrete, null);
        assertEquals(405, answer.statusCode(), () -> method + " " + path + ": " + answer.body());
        conforms(method + " " + path, pointer("components", "responses", serverApi ? "ServerApiMethodNotAllowed" : "MethodNotAllowed"), answer);
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> undocumentedMethods() {
        JsonNode paths = OpenApiSchemas.resource().document().path("paths");
        List<org.junit.jupiter.params.provider.Arguments> out = new ArrayList<>();
        paths.properties().forEach(p -> {
            for (String method : List.of("GET", "POST", "DELETE", "PUT")) {
                if (!p.getValue().has(method.toLowerCase(Locale.ROOT))) {
                    out.add(org.junit.jupiter.params.provider.Arguments.of(method, p.getKey()));
                }
            }
        });
        return out.stream();
    }

    /**
     * Every operation has a call that succeeds and, when it documents a 4xx of its own (not one of the
     * shared components' answers), one that fails; a method the path lacks is tried for every path anyway.
     */
    @Test
    void everyDocumentedOperationIsCalledRightAndWrong() {
        List<Call> calls = calls().toList();
        for (String[] op : operations(served)) {
            List<Call> of = calls.stream().filter(c -> c.method().equals(op[0]) && c.path().equals(op[1])).toList();
            assertTrue(of.stream().anyMatch(c -> c.status() < 300), () -> op[0] + " " + op[1] + " has no call that succeeds");
            JsonNode responses = served.document().at(pointer("paths", op[1], op[0].toLowerCase(Locale.ROOT), "responses"));
            boolean ownFailures = responses.properties().stream().anyMatch(r -> r.getKey().startsWith("4") && !r.getValue().has("$ref"));
            assertTrue(!ownFailures || of.stream().anyMatch(c -> c.status() >= 400), () -> op[0] + " " + op[1] + " has no call that fails");
            assertTrue(undocumentedMethods().anyMatch(a -> a.get()[1].equals(op[1])), () -> op[1] + " has no method to refuse");
        }
        for (Call call : calls) {
            assertTrue(operations(served).stream().anyMatch(op -> op[0].equals(call.method()) && op[1].equals(call.path())),
                    () -> call + ": not an operation of the document");
        }
    }

    /**
     * HttpApi's routes are its switch's {@code case "path"} labels and ServerApi's the literal segments
     * it matches: each must be in the document, and the document may name no other.
     */
    @Test
    void everyRouteOfTheServerIsDocumentedAndNoOther() throws Exception {
        Set<String> documented = new TreeSet<>(served.document().path("paths").propertyNames());
        Set<String> routes = new TreeSet<>();
        Matcher cases = Pattern.compile("case ((?:\"[^\"]+\"(?:, )?)+) ->").matcher(source("HttpApi.java"));
        while (cases.find()) {
            Matcher label = Pattern.compile("\"([^\"]+)\"").matcher(cases.group(1));
            while (label.find()) {
                routes.add("/" + label.group(1));
            }
        }
        assertTrue(routes.contains("/api/openapi.json") && routes.contains("/health/live"), routes::toString);
        Set<String> userPaths = new TreeSet<>(documented);
        userPaths.removeIf(p -> p.startsWith("/api/server/"));
        assertEquals(routes, userPaths, "HttpApi's routes and the document's paths outside the server API");

        Set<String> segments = new TreeSet<>();
        Matcher literal = Pattern.compile("p\\.get\\(\\d\\)\\.equals\\(\"([^\"]+)\"\\)").matcher(source("ServerApi.java"));
        while (literal.find()) {
            segments.add(literal.group(1));
        }
        Set<String> documentedSegments = new TreeSet<>();
        for (String path : documented) {
            if (path.startsWith("/api/server/")) {
                Arrays.stream(path.substring("/api/server/".length()).split("/")).filter(s -> !s.startsWith("{")).forEach(documentedSegments::add);
            }
        }
        assertEquals(Set.of("ban", "disconnect", "members", "messages", "rooms", "users"), segments, "ServerApi's literal segments");
        assertEquals(segments, documentedSegments, "the segments ServerApi matches and those of the documented server paths");
    }

    @Test
    void theDocumentIsServedAsOpenApi31WithTheServersVersion() throws Exception {
        HttpResponse<String> answer = request("GET", "api/openapi.json", null);
        assertEquals(200, answer.statusCode());
        assertEquals(HttpApi.Response.JSON, answer.headers().firstValue("Content-Type").orElse(null));
        assertEquals("no-store", answer.headers().firstValue("Cache-Control").orElse(null));
        assertEquals("nosniff", answer.headers().firstValue("X-Content-Type-Options").orElse(null));
        JsonNode document = OpenApiSchemas.parse(answer.body());
        assertEquals("3.1.0", document.path("openapi").asString());
        assertEquals(Version.current(), document.path("info").path("version").asString());
        assertEquals(TestServer.json(server.get("api/protocol").body()).get("version"), document.path("info").path("version").asString(),
                "the version api/protocol serves");
        ObjectNode resource = (ObjectNode) OpenApiSchemas.parse(OpenApiSchemas.resourceText());
        ((ObjectNode) resource.get("info")).put("version", Version.current());
        assertEquals(resource, document, "the resource, its version filled in");
    }

    /** No OpenAPI 3.1 meta-schema ships with the validator: every reference must resolve and every schema be a 2020-12 schema. */
    @Test
    void everyReferenceResolvesAndEverySchemaIsAValidJsonSchema() {
        JsonNode document = served.document();
        List<String> refs = new ArrayList<>();
        List<JsonNode> schemas = new ArrayList<>();
        walk(document, "", refs, schemas);
        assertTrue(refs.size() > 50, "references found: " + refs.size());
        for (String ref : refs) {
            assertTrue(ref.startsWith("#/"), () -> "a reference outside the document: " + ref);
            assertFalse(document.at(ref.substring(1)).isMissingNode(), () -> "unresolved: " + ref);
        }
        document.path("components").path("schemas").forEach(schemas::add);
        Schema meta = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
        for (JsonNode schema : schemas) {
            var errors = meta.validate(schema.toString(), InputFormat.JSON);
            assertTrue(errors.isEmpty(), () -> schema + ": " + errors);
        }
        // the meta-schema does refuse what is no schema (so the loop above can fail)
        assertFalse(meta.validate("{\"type\":\"objekt\"}", InputFormat.JSON).isEmpty());
    }

    @Test
    void everyOperationIsWellFormed() {
        JsonNode document = served.document();
        Set<String> ids = new TreeSet<>();
        Set<String> schemes = new TreeSet<>(document.path("components").path("securitySchemes").propertyNames());
        Set<String> tags = new TreeSet<>();
        document.path("tags").forEach(t -> tags.add(t.path("name").asString()));
        List<JsonNode> operations = new ArrayList<>();
        document.path("paths").properties().forEach(p -> {
            Set<String> declared = new TreeSet<>();
            List<JsonNode> parameters = new ArrayList<>();
            p.getValue().path("parameters").forEach(parameters::add);
            p.getValue().properties().stream().filter(m -> !m.getKey().equals("parameters")).forEach(m -> {
                operations.add(m.getValue());
                m.getValue().path("parameters").forEach(parameters::add);
            });
            for (JsonNode parameter : parameters) {
                JsonNode resolved = parameter.has("$ref") ? document.at(parameter.get("$ref").asString().substring(1)) : parameter;
                if (resolved.path("in").asString().equals("path")) {
                    assertTrue(resolved.path("required").asBoolean(), p.getKey() + ": a path parameter is required");
                    declared.add(resolved.path("name").asString());
                }
            }
            Set<String> inTemplate = new TreeSet<>();
            Matcher m = Pattern.compile("\\{([^}]+)}").matcher(p.getKey());
            while (m.find()) {
                inTemplate.add(m.group(1));
            }
            assertEquals(inTemplate, declared, p.getKey() + ": its template's parameters");
        });
        document.path("webhooks").forEach(w -> w.forEach(operations::add));
        for (JsonNode op : operations) {
            String id = op.path("operationId").asString();
            assertTrue(!id.isEmpty() && ids.add(id), () -> "a missing or repeated operationId: " + op.path("summary"));
            assertFalse(op.path("summary").asString().isEmpty(), id + " has a summary");
            assertFalse(op.path("responses").isEmpty(), id + " has responses");
            op.path("responses").properties().forEach(r -> {
                JsonNode response = r.getValue().has("$ref") ? document.at(r.getValue().get("$ref").asString().substring(1)) : r.getValue();
                assertTrue(r.getKey().matches("[1-5](\\d\\d|XX)|default"), id + ": " + r.getKey());
                assertFalse(response.path("description").asString().isEmpty(), id + " " + r.getKey() + " has a description");
            });
            op.path("security").forEach(requirement -> requirement.propertyNames().forEach(name ->
                    assertTrue(schemes.contains(name), id + ": an undefined security scheme " + name)));
            op.path("tags").forEach(t -> assertTrue(tags.contains(t.asString()), id + ": an undefined tag " + t));
        }
    }

    @Test
    void theErrorCodesAreTheProtocolsAndTheWebhookEventsTheCodecs() {
        List<String> codes = new ArrayList<>();
        served.document().at("/components/schemas/ErrorCode/enum").forEach(c -> codes.add(c.asString()));
        assertEquals(Arrays.stream(ErrorCode.values()).map(ErrorCode::wire).toList(), codes);
        List<String> types = new ArrayList<>();
        served.document().at("/components/schemas/WebhookEvent/oneOf").forEach(ref ->
                types.add(served.document().at(ref.get("$ref").asString().substring(1) + "/properties/type/const").asString()));
        assertEquals(WebhookEvent.TYPES, types);
        assertEquals("#/components/schemas/WebhookBatch",
                served.document().at("/webhooks/events/post/requestBody/content/application~1json/schema/$ref").asString());
    }

    // ---------------------------------------------------------------- checks and requests

    /** The answer's content type is one the response documents, its JSON matches the schema there, and its fixed headers are there. */
    private static void conforms(String what, String responsePointer, HttpResponse<String> answer) {
        JsonNode response = served.document().at(responsePointer);
        String at = responsePointer;
        if (response.has("$ref")) {
            at = response.get("$ref").asString().substring(1);
            response = served.document().at(at);
        }
        assertEquals("no-store", answer.headers().firstValue("Cache-Control").orElse(null), what);
        assertEquals("nosniff", answer.headers().firstValue("X-Content-Type-Options").orElse(null), what);
        String type = answer.headers().firstValue("Content-Type").orElse("");
        String media = null;
        for (String documented : response.path("content").propertyNames()) {
            if (base(documented).equals(base(type))) {
                media = documented;
            }
        }
        String found = media;
        JsonNode content = response.path("content");
        assertTrue(found != null, () -> what + ": the content type " + type + " is not documented; the document has " + names(content));
        if (base(found).equals("application/json")) {
            served.assertValid(at + pointer("content", found, "schema"), answer.body(), what);
        }
        String where = at;
        response.path("headers").properties().forEach(h -> {
            if (h.getValue().path("required").asBoolean(false)) {
                assertTrue(answer.headers().firstValue(h.getKey()).isPresent(), what + ": the required header " + h.getKey() + " of " + where);
            }
            JsonNode constant = h.getValue().path("schema").path("const");
            if (!constant.isMissingNode()) {
                assertEquals(constant.asString(), answer.headers().firstValue(h.getKey()).orElse(null), what + ": header " + h.getKey() + " of " + where);
            }
            if (h.getValue().path("schema").path("type").asString().equals("integer") && answer.headers().firstValue(h.getKey()).isPresent()) {
                assertTrue(answer.headers().firstValue(h.getKey()).get().matches("\\d+"), what + ": header " + h.getKey());
            }
        });
    }

    private static String base(String contentType) {
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    private static String names(JsonNode node) {
        return new TreeSet<>(node.propertyNames()).toString();
    }

    /** Every {@code $ref} value and every schema of the document outside components/schemas (those the caller adds). */
    private static void walk(JsonNode node, String at, List<String> refs, List<JsonNode> schemas) {
        if (node.isObject()) {
            node.properties().forEach(e -> {
                if (e.getKey().equals("$ref") && e.getValue().isString()) {
                    refs.add(e.getValue().asString());
                }
                if (e.getKey().equals("schema") && !at.startsWith("/components/schemas")) {
                    schemas.add(e.getValue());
                }
                walk(e.getValue(), at + pointer(e.getKey()), refs, schemas);
            });
        } else if (node.isArray()) {
            node.forEach(e -> walk(e, at, refs, schemas));
        }
    }

    private static String source(String file) throws Exception {
        return Files.readString(Path.of("src/main/java/dev/chat/web", file));
    }

    private static String unique(String prefix) {
        return "oa-" + prefix + "-" + UNIQUE.incrementAndGet();
    }

    private static String credentials(String user) {
        return TestServer.credentials(user, "password-" + user);
    }

    private static String bodyLogin(String user) {
        return "{\"username\":\"" + user + "\",\"password\":\"password-" + user + "\",\"refreshToken\":true}";
    }

    /** A fresh session's refresh token, asked for in the body. */
    private static String refreshToken() throws Exception {
        HttpResponse<String> login = json("POST", "api/login", bodyLogin("oa-alice"));
        assertEquals(200, login.statusCode(), login::body);
        return (String) TestServer.json(login.body()).get("refreshToken");
    }

    /** A fresh session's cookie, as the page holds it. */
    private static String cookie() throws Exception {
        HttpResponse<String> login = json("POST", "api/login", credentials("oa-alice"));
        assertEquals(200, login.statusCode(), login::body);
        return login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
    }

    private static HttpResponse<String> api(String method, String path, String json) throws Exception {
        return ServerApiClient.of(server.base()).call(method, path, json);
    }

    private static HttpResponse<String> json(String method, String path, String body, String... headers) throws Exception {
        String[] all = Stream.concat(Stream.of("Content-Type", "application/json"), Arrays.stream(headers)).toArray(String[]::new);
        return request(method, path, body, all);
    }

    /** {@code headers} in name, value pairs; {@code body} null for none. */
    private static HttpResponse<String> request(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(server.base().resolve(path)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            r.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }
}
