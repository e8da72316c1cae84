#!/usr/bin/env bash
# Local infrastructure for development and tests: PostgreSQL, a single-node
# Apache Kafka (KRaft), an SMTP sink and Keycloak (deploy/local/keycloak.sh), all on
# 127.0.0.1, all state in .local/.
#
#   bash deploy/local/infra.sh up      # install/download/init what is missing, start what is stopped
#   bash deploy/local/infra.sh down    # stop what runs (data is kept)
#   bash deploy/local/infra.sh status  # one line per component
#
# `up` is idempotent and writes .local/env (export lines for the services).
# Kafka asks every client to log in (SASL/SCRAM-SHA-512): `up` gives each principal of
# libs/common/hubnet_common/ops/access.py a user with a random password, made once and kept in
# .local/kafka/users/<user> (mode 0600), plus the super user hubnet-admin, and makes the broker's
# ACLs and client quotas equal to the access matrix. The KRaft controller listener asks for a login
# as well (SASL PLAIN as hubnet-controller, its password kept beside the others); a broker started
# with another configuration (an older infra.sh's) is restarted with this one.
# Needs: bash, java 17+ (and 21+ for Keycloak), mvn (first run only), curl, PostgreSQL server binaries
# (installed with apt-get when missing) and a Python with aiosmtpd
# (${PYTHON:-.venv/bin/python}).
#
# Optional overrides: INFRA_PG_PORT (15432), INFRA_KAFKA_PORT (19092),
# INFRA_KAFKA_CONTROLLER_PORT (19093), INFRA_SMTP_PORT (2525),
# INFRA_KAFKA_WAIT (90, seconds), INFRA_KEYCLOAK_PORT (18080), INFRA_KEYCLOAK_WAIT (300).
#
# The ports lie below Linux's ephemeral range (32768-60999) on purpose: while a
# server is stopped, clients retrying a port inside that range can be given it
# as their own source port and connect to themselves, and the server then
# cannot bind it when it starts again (seen in the fault runs).
set -euo pipefail
# runuser, apt-get and friends live in sbin, which a minimal PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

HERE="$ROOT/deploy/local"
LOCAL="$ROOT/.local"
LOGS="$LOCAL/logs"

PG_PORT="${INFRA_PG_PORT:-15432}"
PG_USER=hubnet
PG_DATABASES=(referrals events notifications)
PG_DIR="$LOCAL/pg"
PG_DATA="$PG_DIR/data"
PG_SOCK="$PG_DIR/run"
PG_LOG="$LOGS/postgres.log"

KAFKA_VERSION=4.1.1
KAFKA_PORT="${INFRA_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${INFRA_KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
KAFKA_DIR="$LOCAL/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_CONFIG="$KAFKA_DIR/server.properties"
KAFKA_CLUSTER_ID_FILE="$KAFKA_DIR/cluster.id"
KAFKA_PORTS_FILE="$KAFKA_DIR/ports"
KAFKA_USERS="$KAFKA_DIR/users"
KAFKA_ADMIN=hubnet-admin
KAFKA_CONTROLLER=hubnet-controller  # the controller listener's only user (server.properties)
KAFKA_STARTED_WITH="$KAFKA_DIR/kafka.config.sha256"  # of the configuration the broker runs with
KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_OUT="$LOGS/kafka.out"
KAFKA_WAIT="${INFRA_KAFKA_WAIT:-90}"

SMTP_PORT="${INFRA_SMTP_PORT:-2525}"
MAIL_DIR="$LOCAL/mail"
MAIL_INBOX="$MAIL_DIR/inbox"
MAIL_PID="$MAIL_DIR/mailsink.pid"
MAIL_LOG="$LOGS/mailsink.log"
PYTHON="${PYTHON:-.venv/bin/python}"

log() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- helpers ---

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# alive PID: PID exists and is not a zombie (PID 1 may reap orphans late).
alive() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "${stat:0:1}" != Z ]]
}

# pid_matches PID PATTERN: PID is alive and its command line contains PATTERN.
pid_matches() {
    local pid="$1" pattern="$2" cmdline
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    alive "$pid" || return 1
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
    [[ "$cmdline" == *"$pattern"* ]]
}

# running_pid PIDFILE PATTERN: print the pid from PIDFILE if that process is
# alive and is the expected one (guards against pid reuse).
running_pid() {
    local file="$1" pattern="$2" pid
    [[ -f "$file" ]] || return 1
    pid="$(head -n1 "$file" 2>/dev/null || true)"
    pid_matches "$pid" "$pattern" || return 1
    echo "$pid"
}

# live_pid PIDFILE PATTERN: like running_pid, but removes a stale PIDFILE.
live_pid() {
    running_pid "$@" && return 0
    if [[ -f "$1" ]]; then
        log "removing stale pidfile $1 (pid $(head -n1 "$1" 2>/dev/null || true) not running)"
        rm -f "$1"
    fi
    return 1
}

# spawn PIDFILE OUTFILE CMD...: start CMD detached (own session, no stdin,
# output appended to OUTFILE); the child writes its own pid to PIDFILE.
spawn() {
    local pidfile="$1" out="$2"
    shift 2
    rm -f "$pidfile"
    # shellcheck disable=SC2016 # $$ and $0 belong to the inner bash
    nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$out" 2>&1 &
    local i
    for i in $(seq 50); do
        [[ -s "$pidfile" ]] && return 0
        sleep 0.1
    done
    die "process did not start: $*"
}

# stop_pid NAME PID TIMEOUT: SIGTERM, wait up to TIMEOUT seconds, then SIGKILL.
stop_pid() {
    local name="$1" pid="$2" timeout="$3" i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < timeout * 10; i++)); do
        alive "$pid" || { log "$name stopped (pid $pid)"; return 0; }
        sleep 0.1
    done
    log "$name (pid $pid) still running after ${timeout}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        alive "$pid" || return 0
        sleep 0.1
    done
    die "$name (pid $pid) does not die"
}

status_line() { printf '%-9s %-8s port=%-6s pid=%s\n' "$1" "$2" "$3" "$4"; }

# shellcheck source=deploy/local/keycloak.sh
source "$HERE/keycloak.sh"

# ------------------------------------------------------------- PostgreSQL ---

pg_bindir() {
    local d
    for d in /usr/lib/postgresql/15/bin $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k4 -n -r); do
        if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

pg_install() {
    pg_bindir >/dev/null && return 0
    [[ "$(id -u)" == 0 ]] || die "PostgreSQL server binaries not found and not root: install the 'postgresql' package"
    log "installing PostgreSQL with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q postgresql >/dev/null
    pg_bindir >/dev/null || die "PostgreSQL binaries still not found after apt-get install"
}

# as_pg CMD...: run CMD as the postgres OS user when root (initdb refuses root).
as_pg() {
    if [[ "$(id -u)" == 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Let the postgres user traverse every directory above .local/pg.
pg_fix_traverse() {
    [[ "$(id -u)" == 0 ]] || return 0
    local d="" part
    local -a parts
    IFS=/ read -ra parts <<<"${PG_DIR#/}"
    for part in "${parts[@]}"; do  # top-down: a parent must be passable to test a child
        d="$d/$part"
        if ! (cd / && runuser -u postgres -- test -x "$d"); then
            log "chmod o+x $d (so the postgres user can reach .local/pg)"
            chmod o+x "$d"
        fi
    done
}

pg_pid() {
    local pid
    [[ -f "$PG_DATA/postmaster.pid" ]] || return 1
    pid="$(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == postgres ]] || return 1
    echo "$pid"
}

pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2 >/dev/null 2>&1; }

pg_up() {
    pg_install
    PG_BIN="$(pg_bindir)"
    mkdir -p "$PG_DIR" "$PG_SOCK" "$LOGS"
    [[ -f "$PG_LOG" ]] || : >"$PG_LOG"
    if [[ "$(id -u)" == 0 ]]; then
        chown postgres:postgres "$PG_SOCK" "$PG_LOG"
        pg_fix_traverse
    fi

    if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
        log "initdb $PG_DATA (superuser $PG_USER)"
        rm -rf "$PG_DATA"
        mkdir -p "$PG_DATA"
        chmod 700 "$PG_DATA"
        [[ "$(id -u)" == 0 ]] && chown postgres:postgres "$PG_DATA"
        as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_USER" --auth=trust --encoding=UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 ||
            { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
        echo "include_if_exists = 'hubnet.conf'" | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
    fi
    # Rewritten on every `up`, read at server start.
    as_pg tee "$PG_DATA/hubnet.conf" >/dev/null <<EOF
# Written by deploy/local/infra.sh; changes are overwritten.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 200
EOF

    local pid
    if pid="$(pg_pid)"; then
        log "postgres already running (pid $pid)"
    else
        if [[ -f "$PG_DATA/postmaster.pid" ]]; then
            log "removing stale $PG_DATA/postmaster.pid"
            rm -f "$PG_DATA/postmaster.pid"
        fi
        port_open "$PG_PORT" && die "port $PG_PORT is in use by another process"
        log "starting postgres on 127.0.0.1:$PG_PORT"
        as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t 60 >/dev/null ||
            { tail -n 20 "$PG_LOG" >&2; die "postgres did not start (see $PG_LOG)"; }
    fi
    local i
    for ((i = 0; i < 60; i++)); do
        pg_ready && break
        sleep 0.5
    done
    pg_ready || die "postgres does not answer on 127.0.0.1:$PG_PORT (see $PG_LOG)"

    local db
    for db in "${PG_DATABASES[@]}"; do
        if [[ -z "$(psql_q -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]]; then
            log "creating database $db"
            psql_q -c "CREATE DATABASE \"$db\"" >/dev/null
        fi
    done
}

psql_q() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres "$@"; }

pg_down() {
    local pid
    pid="$(pg_pid)" || { log "postgres not running"; return 0; }
    PG_BIN="$(pg_bindir)"
    log "stopping postgres (pid $pid)"
    if ! as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 60 >/dev/null 2>&1; then
        stop_pid postgres "$pid" 10
    fi
}

pg_status() {
    local pid
    if pid="$(pg_pid)"; then
        status_line postgres running "$PG_PORT" "$pid"
    else
        status_line postgres stopped "$PG_PORT" -
    fi
}

# ------------------------------------------------------------------ Kafka ---

kafka_java() { java -cp "$KAFKA_LIBS/*" "$@"; }

kafka_fetch() {
    local stamp="$KAFKA_LIBS/.pom.sha256" want
    want="$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]]; then
        return 0
    fi
    command -v mvn >/dev/null || die "mvn not found (needed once to download the Kafka jars)"
    log "downloading Kafka $KAFKA_VERSION jars into $KAFKA_LIBS"
    local tmp="$KAFKA_DIR/libs.tmp"
    rm -rf "$tmp"
    mkdir -p "$KAFKA_DIR"
    mvn -q -B -Dstyle.color=never -f "$HERE/pom.xml" dependency:copy-dependencies -DoutputDirectory="$tmp" \
        >"$LOGS/mvn.log" 2>&1 || { tail -n 30 "$LOGS/mvn.log" >&2; die "mvn could not fetch the Kafka jars (see $LOGS/mvn.log)"; }
    echo "$want" >"$tmp/.pom.sha256"
    rm -rf "$KAFKA_LIBS"
    mv "$tmp" "$KAFKA_LIBS"
}

# kafka_users ARGS...: the local broker's users and ACLs (hubnet_common/ops/local/kafka_users.py).
kafka_users() {
    HUBNET_LOCAL_KAFKA_USERS="$KAFKA_USERS" HUBNET_KAFKA_BOOTSTRAP="$KAFKA_BOOTSTRAP" \
        "$PYTHON" -m hubnet_common.ops.local.kafka_users "$@"
}

kafka_config() {
    mkdir -p "$KAFKA_DATA"
    local admin_password controller_password
    admin_password="$(kafka_users password "$KAFKA_ADMIN")" || die "no password for $KAFKA_ADMIN"
    controller_password="$(kafka_users password "$KAFKA_CONTROLLER")" || die "no password for $KAFKA_CONTROLLER"
    (
        umask 077  # it holds the admin's and the controller's passwords
        {
            echo "# Generated by deploy/local/infra.sh from deploy/local/server.properties; do not edit."
            sed -e "s/:19092\b/:$KAFKA_PORT/g" -e "s/:19093\b/:$KAFKA_CONTROLLER_PORT/g" \
                -e "s/@ADMIN_PASSWORD@/$admin_password/" -e "s/@CONTROLLER_PASSWORD@/$controller_password/g" \
                "$HERE/server.properties"
            echo
            echo "log.dirs=$KAFKA_DATA"
        } >"$KAFKA_CONFIG.tmp"
    )
    mv "$KAFKA_CONFIG.tmp" "$KAFKA_CONFIG"
}

kafka_format() {
    local id
    if [[ ! -s "$KAFKA_CLUSTER_ID_FILE" ]]; then
        if [[ -f "$KAFKA_DATA/meta.properties" ]]; then
            id="$(sed -n 's/^cluster\.id=//p' "$KAFKA_DATA/meta.properties")"
        else
            id="$(kafka_java kafka.tools.StorageTool random-uuid)"
        fi
        [[ -n "$id" ]] || die "could not get a Kafka cluster id"
        echo "$id" >"$KAFKA_CLUSTER_ID_FILE"
    fi
    id="$(cat "$KAFKA_CLUSTER_ID_FILE")"
    # The controller's address and the admin's credential are part of the formatted metadata:
    # other ports, or storage formatted before the broker asked for logins, need fresh storage.
    local formatted="$KAFKA_PORT $KAFKA_CONTROLLER_PORT scram"
    if [[ -f "$KAFKA_DATA/meta.properties" && "$(cat "$KAFKA_PORTS_FILE" 2>/dev/null)" != "$formatted" ]]; then
        log "kafka ports or login changed: formatting its storage again (topics are created by make topics)"
        rm -rf "$KAFKA_DATA"
        mkdir -p "$KAFKA_DATA"
    fi
    echo "$formatted" >"$KAFKA_PORTS_FILE"
    [[ -f "$KAFKA_DATA/meta.properties" ]] && return 0
    log "formatting Kafka storage $KAFKA_DATA (cluster id $id, super user $KAFKA_ADMIN)"
    kafka_java kafka.tools.StorageTool format --standalone -t "$id" -c "$KAFKA_CONFIG" \
        --add-scram "SCRAM-SHA-512=[name=$KAFKA_ADMIN,password=$(kafka_users password "$KAFKA_ADMIN")]" >>"$KAFKA_OUT" 2>&1 ||
        { tail -n 20 "$KAFKA_OUT" >&2; die "kafka storage format failed"; }
}

# The broker is ready once it is listed in the cluster metadata (registered,
# unfenced) and answers ApiVersions; a TCP connect alone is not enough.
kafka_ready() {
    port_open "$KAFKA_PORT" || return 1
    local out
    out="$(timeout 30 java -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.BrokerApiVersionsCommand \
        --bootstrap-server "$KAFKA_BOOTSTRAP" --command-config "$KAFKA_DIR/admin.properties" 2>/dev/null)" || return 1
    [[ "$out" == *"$KAFKA_BOOTSTRAP (id: 1 "* ]]
}

# Why a broker that listens is not ready: its storage may have lost every SCRAM login
# (docs/adr/0023-removed-logins.md).
kafka_refusing() {
    if tail -n 200 "$LOGS/kafka-server.log" 2>/dev/null | grep -q "Failed authentication.*invalid credentials"; then
        printf ': it refuses the logins of %s and every user. Its storage has lost them; start it on fresh storage (topics and users are made again): make down && rm -rf %s && make up' \
            "$KAFKA_ADMIN" "$KAFKA_DATA"
    else
        printf ' (see %s)' "$LOGS/kafka-server.log"
    fi
}

# The Kafka command line tools' login as hubnet-admin (--command-config).
kafka_admin_properties() {
    local admin_password
    admin_password="$(kafka_users password "$KAFKA_ADMIN")" || die "no password for $KAFKA_ADMIN"
    (
        umask 077
        printf '%s\n' "security.protocol=SASL_PLAINTEXT" "sasl.mechanism=SCRAM-SHA-512" \
            "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$KAFKA_ADMIN\" password=\"$admin_password\";" \
            >"$KAFKA_DIR/admin.properties"
    )
}

kafka_up() {
    mkdir -p "$KAFKA_DIR" "$LOGS"
    kafka_fetch
    kafka_config
    kafka_admin_properties
    local pid start=$SECONDS config
    config="$(sha256sum "$KAFKA_CONFIG" | cut -d' ' -f1)"
    if pid="$(live_pid "$KAFKA_PID" kafka.Kafka)" && [[ "$(cat "$KAFKA_STARTED_WITH" 2>/dev/null)" != "$config" ]]; then
        log "kafka (pid $pid) runs with another configuration (an older infra.sh's?): restarting it"
        kafka_down
    fi
    if pid="$(live_pid "$KAFKA_PID" kafka.Kafka)"; then
        log "kafka already running (pid $pid)"
    else
        kafka_format
        port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is in use by another process"
        port_open "$KAFKA_CONTROLLER_PORT" && die "port $KAFKA_CONTROLLER_PORT is in use by another process"
        log "starting kafka on $KAFKA_BOOTSTRAP"
        spawn "$KAFKA_PID" "$KAFKA_OUT" \
            java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
            -Dkafka.logs.dir="$LOGS" -Dlog4j2.configurationFile="$HERE/log4j2.yaml" \
            -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_CONFIG"
        echo "$config" >"$KAFKA_STARTED_WITH"
        pid="$(cat "$KAFKA_PID")"
    fi
    while ! kafka_ready; do
        pid_matches "$pid" kafka.Kafka ||
            { tail -n 30 "$KAFKA_OUT" >&2; die "kafka exited during start (see $KAFKA_OUT, $LOGS/kafka-server.log)"; }
        ((SECONDS - start < KAFKA_WAIT)) || die "kafka not ready after ${KAFKA_WAIT}s$(kafka_refusing)"
        sleep 1
    done
    log "kafka ready on $KAFKA_BOOTSTRAP (pid $pid) after $((SECONDS - start))s"
    local line
    line="$(kafka_users apply)" || die "could not make the Kafka users and ACLs"
    log "$line"
}

kafka_down() {
    local pid
    pid="$(live_pid "$KAFKA_PID" kafka.Kafka)" || { log "kafka not running"; return 0; }
    log "stopping kafka (pid $pid)"
    stop_pid kafka "$pid" 60
    rm -f "$KAFKA_PID"
}

kafka_status() {
    local pid
    if pid="$(running_pid "$KAFKA_PID" kafka.Kafka)"; then
        status_line kafka running "$KAFKA_PORT" "$pid"
    else
        status_line kafka stopped "$KAFKA_PORT" -
    fi
}

# -------------------------------------------------------------- SMTP sink ---

mail_up() {
    mkdir -p "$MAIL_INBOX" "$LOGS"
    local pid i
    if pid="$(live_pid "$MAIL_PID" mailsink.py)"; then
        log "mailsink already running (pid $pid)"
    else
        [[ -x "$PYTHON" ]] || command -v "$PYTHON" >/dev/null ||
            die "python not found: $PYTHON (set PYTHON=... to a python with aiosmtpd)"
        port_open "$SMTP_PORT" && die "port $SMTP_PORT is in use by another process"
        log "starting mailsink on 127.0.0.1:$SMTP_PORT"
        spawn "$MAIL_PID" "$MAIL_LOG" \
            "$PYTHON" "$HERE/mailsink.py" --host 127.0.0.1 --port "$SMTP_PORT" --mail-dir "$MAIL_INBOX"
        pid="$(cat "$MAIL_PID")"
    fi
    for ((i = 0; i < 150; i++)); do
        port_open "$SMTP_PORT" && { log "mailsink ready on 127.0.0.1:$SMTP_PORT (pid $pid)"; return 0; }
        pid_matches "$pid" mailsink.py ||
            { tail -n 20 "$MAIL_LOG" >&2; die "mailsink exited during start (see $MAIL_LOG)"; }
        sleep 0.1
    done
    die "mailsink does not accept connections on 127.0.0.1:$SMTP_PORT (see $MAIL_LOG)"
}

mail_down() {
    local pid
    pid="$(live_pid "$MAIL_PID" mailsink.py)" || { log "mailsink not running"; return 0; }
    log "stopping mailsink (pid $pid)"
    stop_pid mailsink "$pid" 10
    rm -f "$MAIL_PID"
}

mail_status() {
    local pid
    if pid="$(running_pid "$MAIL_PID" mailsink.py)"; then
        status_line mailsink running "$SMTP_PORT" "$pid"
    else
        status_line mailsink stopped "$SMTP_PORT" -
    fi
}

# ------------------------------------------------------------------- main ---

write_env() {
    cat >"$LOCAL/env.tmp" <<EOF
# Written by deploy/local/infra.sh up; source it: . .local/env
export HUBNET_KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP
# Where local tools find each Kafka user's password; each logs in as itself (docs/operations.md).
export HUBNET_LOCAL_KAFKA_USERS=$KAFKA_USERS
# The KRaft controller listener (SASL PLAIN as $KAFKA_CONTROLLER; no client uses it).
export HUBNET_LOCAL_KAFKA_CONTROLLER=127.0.0.1:$KAFKA_CONTROLLER_PORT
export HUBNET_PG_DSN=postgresql://$PG_USER@127.0.0.1:$PG_PORT/postgres
export HUBNET_SMTP_HOST=127.0.0.1
export HUBNET_SMTP_PORT=$SMTP_PORT
export HUBNET_MAIL_DIR=$MAIL_INBOX
export HUBNET_KEYS_DIR=$LOCAL/keys
# The identity provider's realm, and where local tools find each client's secret and user's password.
export HUBNET_OIDC_ISSUER=$KC_ISSUER
export HUBNET_LOCAL_IDENTITIES=$KC_SECRETS
EOF
    mv "$LOCAL/env.tmp" "$LOCAL/env"
}

cmd_up() {
    local start=$SECONDS
    mkdir -p "$LOCAL" "$LOGS"
    pg_up
    kafka_up
    mail_up
    kc_up
    write_env
    log "up in $((SECONDS - start))s; environment in $LOCAL/env"
}

cmd_down() {
    kc_down
    mail_down
    kafka_down
    if [[ -d "$PG_DATA" ]]; then pg_down; fi
}

cmd_status() {
    pg_status
    kafka_status
    mail_status
    kc_status
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
stop)  # one part only, for fault runs; `start` (or `up`) starts it again
    case "${2:-}" in
    postgres) pg_down ;;
    kafka) kafka_down ;;
    *) echo "usage: $0 stop postgres|kafka" >&2; exit 2 ;;
    esac
    ;;
start)  # one part only, after `stop`: the rest of `up` (Keycloak's realm, the other part) is left alone
    case "${2:-}" in
    postgres) pg_up ;;
    kafka) kafka_up ;;
    *) echo "usage: $0 start postgres|kafka" >&2; exit 2 ;;
    esac
    ;;
*)
    echo "usage: $0 up|down|status|stop postgres|kafka|start postgres|kafka" >&2
    exit 2
    ;;
esac
