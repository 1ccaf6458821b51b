#!/usr/bin/env bash
# Benchmarks: our server against a bare Tyrus endpoint and the gorilla/websocket chat example, all
# started here, on this machine, in the same run, driven by the same load generator
# (src/test/java/dev/chat/bench/LoadGenerator.java). Loopback only; every run is bounded.
#
#   deploy/bench.sh fanout          # 1000 members + 1 publisher, 64 messages in flight
#   deploy/bench.sh chat            # 100 members each sending 10/s
#   deploy/bench.sh idle            # 10 000 authenticated idle connections: RSS per connection
#   deploy/bench.sh idle-sized      # the same for the two Java servers with SIZED_OPTS (heap sized to its use)
#   deploy/bench.sh cluster-fanout  # 2 nodes + Redis (deploy/cluster.sh) against 1 node, same load
#   deploy/bench.sh cluster-chat
#   deploy/bench.sh rooms           # 10 000 connections: 10-member rooms and direct conversations, 1 msg/s each,
#                                   # 1 % of the connections a second dropping and recovering; one node, then 2 nodes + Redis
#   deploy/bench.sh smoke           # a few seconds of each against our server only
#   deploy/bench.sh all             # all of the above but smoke, then report
#   deploy/bench.sh report          # results table (target/bench/results.md) and plot (docs/bench/bench.png)
#
# Our server runs on its default store, SQLite ("chat"), and on PostgreSQL ("chatpg": a throwaway
# server that deploy/cluster.sh db-start runs on 16391); CHAT_JAR of a build before the database
# gives the in-memory baseline.
#
# Settings (environment): SERVERS (chat,tyrus,gorilla; chatpg too), DURATION (s, measured), WARMUP (s), REPEAT
# (rounds per scenario, servers interleaved; the report shows the median round of each server),
# CONNECTIONS (idle and rooms, 10000), CHURN (rooms: share of the connections dropped a second, 0.01), SERVER_OPTS (JVM options of both Java servers), SIZED_OPTS (theirs in
# idle-sized), JFR=1 (record our server to target/bench/SCENARIO.jfr), GORILLA_CHAT_SRC (the
# example's sources: hub.go, client.go, main.go; default the Debian package's examples/chat; the
# baseline is skipped when absent), BENCH_NO_BUILD=1 (skip the Maven build), CHAT_JAR (our server's
# jar) and LABEL_SUFFIX (appended to the server's name in the results: to compare another build).
# Results accumulate in target/bench/results.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=target/bench
SERVERS=${SERVERS:-chat,tyrus,gorilla}
DURATION=${DURATION:-10}
REPEAT=${REPEAT:-1}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-10000}
SERVER_OPTS=${SERVER_OPTS:--Xms256m -Xmx1g}
# idle-sized: the JVM gives back heap it does not use (after the full GC the idle scenario runs), so
# RSS shows what the connections hold rather than how far the heap grew while they connected.
SIZED_OPTS=${SIZED_OPTS:--Xms32m -Xmx1g -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20}
GORILLA_CHAT_SRC=${GORILLA_CHAT_SRC:-/usr/share/gocode/src/github.com/gorilla/websocket/examples/chat}
SECRET=test-secret-test-secret-test-secret-0123 # TestServer.SECRET: the generator signs tokens with it
CHAT_PORT=18080 TYRUS_PORT=18090 GORILLA_PORT=18070 CLUSTER_BASE=18081 CLUSTER_REDIS=16390
# The generator and each server may hold 10 000+ sockets.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(( $(ulimit -n) >= 12000 )) || echo "warning: ulimit -n is $(ulimit -n); idle needs more than 10 000" >&2

# Every generated connection comes from 127.0.0.1: the per-address caps (200 connections, 20
# handshakes a second by default) would refuse all but the first few hundred.
ONE_ADDRESS=(env CHAT_MAX_CONNECTIONS_PER_ADDRESS=20000 CHAT_MAX_HANDSHAKES_PER_ADDRESS_PER_SECOND=100000)

PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [[ -n $p ]] && kill "$p" 2>/dev/null || true; done
  RUN_DIR=$OUT/cluster deploy/cluster.sh stop >/dev/null 2>&1 || true
  RUN_DIR=$OUT/pg deploy/cluster.sh db-stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

build() {
  mkdir -p "$OUT"
  if [[ -z ${BENCH_NO_BUILD:-} || ! -f target/chat-server.jar ]]; then
    mvn -B -q package -DskipTests
  fi
  [[ -f target/bench.cp ]] || mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.cp
  CP=target/test-classes:target/classes:$(cat target/bench.cp)
  GEN=(java -Xms512m -Xmx1g -cp "$CP" dev.chat.bench.LoadGenerator)
}

wait_for() { # LOG TEXT
  for _ in $(seq 1 150); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.2; done
  echo "server did not start: $1" >&2; tail "$1" >&2; return 1
}

wait_port() {
  for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done
  echo "nothing listens on $1" >&2; return 1
}

# start_SERVER sets PID, PORT and DIALECT.
start_chat() {
  local data=$OUT/chat-data
  rm -rf "$data"
  "${GEN[@]}" seed-file "$data" "$CONNECTIONS"
  local jfr=()
  [[ -n ${JFR_FILE:-} ]] && jfr=("-XX:StartFlightRecording=filename=$JFR_FILE,settings=profile")
  CHAT_PORT=$CHAT_PORT CHAT_JWT_SECRET=$SECRET CHAT_DATA_DIR=$data CHAT_REGISTRATION=false \
    CHAT_RATE_PER_SEC=1000000 CHAT_RATE_BURST=1000000 CHAT_ROOM_RATE_PER_SEC=1000000 CHAT_MAX_CONNECTIONS=20000 CHAT_MAX_ROOM_MEMBERS=20000 \
    "${ONE_ADDRESS[@]}" java $SERVER_OPTS "${jfr[@]}" -jar "${CHAT_JAR:-target/chat-server.jar}" > "$OUT/chat.log" 2>&1 &
  PID=$!; PIDS+=("$PID"); PORT=$CHAT_PORT; DIALECT=chat
  wait_for "$OUT/chat.log" "chat-server listening"
}

start_chatpg() {
  RUN_DIR=$OUT/pg PG_PORT=16391 deploy/cluster.sh db-start > /dev/null
  # a new database every run, as the SQLite runs get a new file: no history from an earlier run
  psql -h 127.0.0.1 -p 16391 -U postgres -d postgres -q -c "DROP DATABASE IF EXISTS bench_run" -c "CREATE DATABASE bench_run"
  CHAT_DB_URL=jdbc:postgresql://127.0.0.1:16391/bench_run CHAT_DB_USER=postgres start_chat
  DIALECT=chat
}

start_tyrus() {
  java $SERVER_OPTS -cp "$CP" dev.chat.bench.BareTyrusServer "$TYRUS_PORT" > "$OUT/tyrus.log" 2>&1 &
  PID=$!; PIDS+=("$PID"); PORT=$TYRUS_PORT; DIALECT=raw
  wait_for "$OUT/tyrus.log" "bare-tyrus listening"
}

start_gorilla() {
  [[ -f $GORILLA_CHAT_SRC/hub.go ]] || { echo "gorilla chat example not found in $GORILLA_CHAT_SRC: skipped" >&2; return 1; }
  command -v go >/dev/null || { echo "go not installed (apt-get install golang-go golang-github-gorilla-websocket-dev): skipped" >&2; return 1; }
  local src=$OUT/gorilla-src
  rm -rf "$src"; mkdir -p "$src"; cp "$GORILLA_CHAT_SRC"/*.go "$src/"; rm -f "$src"/*_test.go
  # offline, against Debian's golang-github-gorilla-websocket-dev
  (cd "$src" && GOPATH=/usr/share/gocode GO111MODULE=off GOCACHE=$PWD/../gocache GOFLAGS= go build -o ../gorilla-chat .)
  (cd "$OUT" && exec ./gorilla-chat -addr "127.0.0.1:$GORILLA_PORT" > gorilla.log 2>&1) &
  PID=$!; PIDS+=("$PID"); PORT=$GORILLA_PORT; DIALECT=raw
  wait_port "$GORILLA_PORT"
}

stop_server() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  sleep 1
}

# record SCENARIO SERVER GENERATOR-ARGS...: runs the generator (its GEN_CMD, default run), keeps its RESULT line.
record() {
  local scenario=$1 server=$2; shift 2
  local line
  line=$("${GEN[@]}" "${GEN_CMD:-run}" --label "$scenario/$server" "$@" | grep '^RESULT' || true)
  echo "$line"
  [[ -n $line ]] && echo -e "$(date -u +%FT%TZ)\t$scenario\t$server\t${line#RESULT }" >> "$OUT/results.tsv"
}

for_servers() { # SCENARIO ARGS...: the same load against each server, REPEAT rounds, servers interleaved
  local scenario=$1; shift
  for ((round = 0; round < REPEAT; round++)); do
    for s in ${SERVERS//,/ }; do
      if [[ $s == chat && -n ${JFR:-} ]]; then JFR_FILE=$OUT/$scenario.jfr; else JFR_FILE=; fi
      "start_$s" || continue
      record "$scenario" "$s${LABEL_SUFFIX:-}" --dialect "$DIALECT" --target "127.0.0.1:$PORT" --pids "$PID" "$@"
      stop_server
    done
  done
}

FANOUT=(--connections 1001 --publishers 1 --window 64)
CHAT=(--connections 100 --publishers 100 --rate 10)

fanout() { for_servers fanout "${FANOUT[@]}" --warmup "$WARMUP" --duration "$DURATION"; }
chat() { for_servers chat "${CHAT[@]}" --warmup "$WARMUP" --duration "$((DURATION * 2))"; }
IDLE=(--connections "$CONNECTIONS" --publishers 0 --hold 5 --gc --warmup 0 --duration 0 --ramp 2000)
idle() { for_servers idle "${IDLE[@]}"; }
idle-sized() { # the two Java servers again, heap sized to its use
  local s=${SERVERS//gorilla/}
  SERVER_OPTS=$SIZED_OPTS SERVERS=${s//,,/,} for_servers idle-sized "${IDLE[@]}"
}

start_cluster() {
  RUN_DIR=$OUT/cluster deploy/cluster.sh stop >/dev/null 2>&1 || true
  rm -rf "$OUT/cluster"
  CHAT_JWT_SECRET=$SECRET CHAT_RATE_PER_SEC=1000000 CHAT_RATE_BURST=1000000 CHAT_ROOM_RATE_PER_SEC=1000000 CHAT_MAX_ROOM_MEMBERS=20000 CHAT_MAX_CONNECTIONS=20000 \
    "${ONE_ADDRESS[@]}" RUN_DIR=$OUT/cluster REDIS_PORT=$CLUSTER_REDIS BASE_PORT=$CLUSTER_BASE JAVA_OPTS="$SERVER_OPTS" \
    BEFORE_NODES="${GEN[*]} seed-redis redis://127.0.0.1:$CLUSTER_REDIS/0 $CONNECTIONS" deploy/cluster.sh start 2
  CLUSTER_PIDS=$(cat "$OUT/cluster/node1.pid"),$(cat "$OUT/cluster/node2.pid"),$(cat "$OUT/cluster/redis.pid")
}

cluster_run() { # SCENARIO ARGS...: one node, then two nodes + Redis, same load
  local scenario=$1; shift
  for ((cluster_round = 0; cluster_round < REPEAT; cluster_round++)); do
    REPEAT=1 SERVERS=chat for_servers "$scenario" "$@"
    start_cluster
    record "$scenario" cluster2 --dialect chat --target "127.0.0.1:$CLUSTER_BASE,127.0.0.1:$((CLUSTER_BASE + 1))" \
      --pids "$CLUSTER_PIDS" "$@"
    RUN_DIR=$OUT/cluster deploy/cluster.sh stop >/dev/null
  done
}

cluster-fanout() { cluster_run cluster-fanout "${FANOUT[@]}" --warmup "$WARMUP" --duration "$DURATION"; }
cluster-chat() { cluster_run cluster-chat "${CHAT[@]}" --warmup "$WARMUP" --duration "$((DURATION * 2))"; }
# rooms: the generator's own scenario (RoomsLoad), which speaks only our protocol; the dialect flag
# for_servers adds is dropped by it
ROOMS=(--connections "$CONNECTIONS" --room-size 10 --rate 1 --churn "${CHURN:-0.01}" --ramp 2000)
# a 15 s warm-up: the first second makes 5 000 direct conversations and 10 000 room memberships,
# whose commits take several seconds to drain on 2 cores (measured: p95 2 s with a 3 s warm-up, 40 ms with 15 s)
rooms() { GEN_CMD=rooms cluster_run rooms "${ROOMS[@]}" --warmup "${ROOMS_WARMUP:-15}" --duration "$((DURATION * 2))"; }

smoke() {
  SERVERS=chat for_servers smoke-fanout --connections 51 --publishers 1 --window 16 --warmup 1 --duration 2
  SERVERS=chat for_servers smoke-chat --connections 20 --publishers 20 --rate 10 --warmup 1 --duration 2
  SERVERS=chat CONNECTIONS=200 for_servers smoke-idle --connections 200 --publishers 0 --hold 1 --warmup 0 --duration 0
  SERVERS=chat GEN_CMD=rooms for_servers smoke-rooms --connections 200 --room-size 10 --rate 2 --churn 0.05 --warmup 1 --duration 3
}

report() {
  [[ -f $OUT/results.tsv ]] || { echo "no results yet" >&2; exit 1; }
  REPEAT=$REPEAT deploy/bench-report.sh "$OUT/results.tsv" "$OUT/results.md" docs/bench/bench.png
  cat "$OUT/results.md"
}

case ${1:-} in
  fanout|chat|idle|idle-sized|cluster-fanout|cluster-chat|rooms|smoke) build; "$1" ;;
  all) build; fanout; chat; idle; idle-sized; cluster-fanout; cluster-chat; rooms; report ;;
  report) report ;;
  *) sed -n '2,25p' "$0" >&2; exit 2 ;;
esac
