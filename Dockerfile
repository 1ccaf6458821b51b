# syntax=docker/dockerfile:1
# The unchanged target/chat.war on an application server, as the tests prove it.
#   docker build -t chat .                          # Payara 6 (default)
#   docker build -t chat --build-arg RUNTIME=wildfly .
#   docker run -p 8080:8080 -e CHAT_JWT_SECRET=... chat      # page at http://localhost:8080/chat/
# Configure with CHAT_* environment variables (see README). Both images run as non-root users.
ARG RUNTIME=payara

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src src
COPY webapp webapp
RUN mvn -B -q package -DskipTests

FROM payara/server-full:6.2025.10-jdk17 AS payara
# the image runs as the non-root user "payara" and deploys what is in $DEPLOY_DIR at boot
COPY --from=build --chown=payara:payara /src/target/chat.war ${DEPLOY_DIR}/chat.war
ENV CHAT_DATA_DIR=/opt/payara/chat-data
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s \
  CMD curl -fsS http://127.0.0.1:8080/chat/health/ready || exit 1

FROM quay.io/wildfly/wildfly:39.0.1.Final-jdk17 AS wildfly
# the image runs as the non-root user "jboss"
COPY --from=build --chown=jboss:jboss /src/target/chat.war /opt/jboss/wildfly/standalone/deployments/chat.war
ENV CHAT_DATA_DIR=/opt/jboss/chat-data
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s \
  CMD curl -fsS http://127.0.0.1:8080/chat/health/ready || exit 1
CMD ["/opt/jboss/wildfly/bin/standalone.sh", "-b", "0.0.0.0"]

FROM ${RUNTIME}
