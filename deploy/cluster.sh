#!/usr/bin/env bash
# Start or stop a local cluster without Docker: one redis-server, one PostgreSQL (the nodes' shared
# store of record) and N chat nodes (the embedded jar), all on 127.0.0.1. Used for development
# and by the benchmarks.
#
#   deploy/cluster.sh start [NODES]   # default 2; Redis on 6390, PostgreSQL on 6391, nodes on 8081, 8082, ...
#   deploy/cluster.sh stop
#   deploy/cluster.sh status
#   deploy/cluster.sh db-start        # only the PostgreSQL (the benchmarks' single node on PostgreSQL)
#   deploy/cluster.sh db-stop
#
# Settings: CHAT_JWT_SECRET (generated into the run dir if unset), REDIS_PORT (6390), PG_PORT
# (6391), BASE_PORT (8081), RUN_DIR (./target/cluster), CHAT_DB_URL (set: use that database instead
# of starting one; with CHAT_DB_USER/CHAT_DB_PASSWORD), BEFORE_NODES (a command run once Redis is up, before the
# nodes start: deploy/bench.sh seeds users with it). Needs redis-server on PATH, Debian's
# postgresql package (/usr/lib/postgresql/*/bin) and target/chat-server.jar (mvn -B -q package -DskipTests).
# PostgreSQL refuses to run as root: as root, it runs as the postgres user.
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_DIR=${RUN_DIR:-target/cluster}
REDIS_PORT=${REDIS_PORT:-6390}
BASE_PORT=${BASE_PORT:-8081}
PG_PORT=${PG_PORT:-6391}
JAR=target/chat-server.jar

# Runs a PostgreSQL tool as the postgres user when we are root (it refuses root), as us otherwise.
as_pg() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [[ -n $bin ]] || { echo "PostgreSQL not found (apt-get install postgresql)" >&2; exit 1; }
  local dir
  dir=$(cd "$RUN_DIR" && pwd)/pg
  mkdir -p "$dir"
  [[ $(id -u) == 0 ]] && chown postgres "$dir" && chmod o+rx "$RUN_DIR"
  if [[ ! -f $dir/data/PG_VERSION ]]; then
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C > "$RUN_DIR/pg-init.log"
  fi
  if ! as_pg "$bin/pg_ctl" -D "$dir/data" status > /dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w \
      -o "-p $PG_PORT -k '$dir' -c listen_addresses=127.0.0.1" start > /dev/null
  fi
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres chat 2>/dev/null || true # exists already
  echo "$bin" > "$RUN_DIR/pg.bin"
  CHAT_DB_URL=jdbc:postgresql://127.0.0.1:$PG_PORT/chat
  CHAT_DB_USER=postgres
}

start() {
  local nodes=${1:-2}
  [[ -f $JAR ]] || { echo "missing $JAR: run mvn -B -q package -DskipTests" >&2; exit 1; }
  command -v redis-server >/dev/null || { echo "redis-server not found (apt-get install redis-server)" >&2; exit 1; }
  mkdir -p "$RUN_DIR/redis"
  if [[ -z ${CHAT_JWT_SECRET:-} ]]; then
    [[ -f $RUN_DIR/secret ]] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RUN_DIR/secret"
    CHAT_JWT_SECRET=$(cat "$RUN_DIR/secret")
  fi
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$RUN_DIR/redis" \
    --appendonly yes --appendfsync everysec --save "" --daemonize no > "$RUN_DIR/redis.log" 2>&1 &
  echo $! > "$RUN_DIR/redis.pid"
  [[ -n ${CHAT_DB_URL:-} ]] || start_postgres
  if [[ -n ${BEFORE_NODES:-} ]]; then
    # e.g. users to import into Redis: a node imports them at its start (deploy/bench.sh seeds them so)
    for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null && break; sleep 0.1; done
    $BEFORE_NODES
  fi
  for i in $(seq 1 "$nodes"); do
    local port=$((BASE_PORT + i - 1))
    CHAT_PORT=$port CHAT_NODE_ID=node$i CHAT_JWT_SECRET=$CHAT_JWT_SECRET \
      CHAT_DB_URL=$CHAT_DB_URL CHAT_DB_USER=${CHAT_DB_USER:-} CHAT_DB_PASSWORD=${CHAT_DB_PASSWORD:-} \
      CHAT_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0 CHAT_DATA_DIR=$RUN_DIR/node$i \
      java ${JAVA_OPTS:-} -jar "$JAR" > "$RUN_DIR/node$i.log" 2>&1 &
    echo $! > "$RUN_DIR/node$i.pid"
  done
  for i in $(seq 1 "$nodes"); do
    for _ in $(seq 1 100); do
      grep -q "chat-server listening on" "$RUN_DIR/node$i.log" 2>/dev/null && break
      sleep 0.2
    done
    grep "chat-server listening on" "$RUN_DIR/node$i.log" || { echo "node$i did not start:" >&2; tail "$RUN_DIR/node$i.log" >&2; exit 1; }
  done
  echo "redis on 127.0.0.1:$REDIS_PORT, database $CHAT_DB_URL; logs in $RUN_DIR"
}

stop_postgres() {
  if [[ -f $RUN_DIR/pg.bin ]]; then
    as_pg "$(cat "$RUN_DIR/pg.bin")/pg_ctl" -D "$(cd "$RUN_DIR" && pwd)/pg/data" -m fast -w stop > /dev/null || true
    rm -f "$RUN_DIR/pg.bin"
  fi
}

stop() {
  shopt -s nullglob
  for pidfile in "$RUN_DIR"/node*.pid "$RUN_DIR"/redis.pid; do
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
  stop_postgres
  echo stopped
}

status() {
  shopt -s nullglob
  for pidfile in "$RUN_DIR"/*.pid; do
    if kill -0 "$(cat "$pidfile")" 2>/dev/null; then echo "$(basename "$pidfile" .pid): running"; else echo "$(basename "$pidfile" .pid): gone"; fi
  done
}

case ${1:-} in
  start) start "${2:-2}" ;;
  stop) stop ;;
  status) status ;;
  db-start) mkdir -p "$RUN_DIR"; start_postgres; echo "$CHAT_DB_URL" ;;
  db-stop) stop_postgres ;;
  *) echo "usage: $0 start [NODES] | stop | status | db-start | db-stop" >&2; exit 2 ;;
esac
