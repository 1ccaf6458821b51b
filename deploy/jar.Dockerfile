# syntax=docker/dockerfile:1
# The embedded server (target/chat-server.jar) on Temurin JRE 17, as deploy/k8s runs it.
#   docker build -f deploy/jar.Dockerfile -t chat-server .
#   docker run --read-only --tmpfs /tmp:rw,exec,size=64m -v chat-data:/data -p 8080:8080 \
#     -e CHAT_JWT_SECRET=... chat-server                     # page at http://localhost:8080/
# The root filesystem may be read-only: the store (SQLite, when no CHAT_DB_URL is set) is in
# CHAT_DATA_DIR=/data, a volume, and the JVM's temporary files are in /tmp, a tmpfs. That tmpfs
# needs "exec" (Docker's --tmpfs default is noexec): sqlite-jdbc extracts its native library there.
# Not built here: the machines this was written on have no Docker engine (see README, Kubernetes).
# The repository's Dockerfile builds the WAR images (Payara, WildFly); this one the jar's.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src src
COPY webapp webapp
RUN mvn -B -q package -DskipTests

FROM eclipse-temurin:17-jre
# A fixed numeric uid/gid, so Kubernetes' runAsNonRoot can check it (a user name it cannot).
RUN groupadd --system --gid 10001 chat \
 && useradd --system --uid 10001 --gid chat --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin chat \
 && mkdir -p /data \
 && chown chat:chat /data
COPY --from=build /src/target/chat-server.jar /app/chat-server.jar
# Inside a container the node must serve the network; its default (127.0.0.1) would serve nobody.
ENV CHAT_HOST=0.0.0.0 \
    CHAT_DATA_DIR=/data
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8080
# No HEALTHCHECK: Kubernetes ignores it (deploy/k8s has probes) and the JRE image has no HTTP client
# we can count on. The JVM sizes its heap from the container's memory limit; -XX:-UsePerfData keeps
# it from writing hsperfdata files.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:-UsePerfData", "-Djava.io.tmpdir=/tmp", "-jar", "/app/chat-server.jar"]
