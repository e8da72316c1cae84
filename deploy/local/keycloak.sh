# The local identity provider: Keycloak (keycloak-quarkus-dist from Maven Central) in dev mode on
# 127.0.0.1, its state in .local/keycloak/. Sourced by deploy/local/infra.sh, whose helpers
# (log, die, spawn, live_pid, stop_pid, port_open, status_line) it uses.
#
# Keycloak needs Java 21 or newer; the machine's default may be older. kc_java finds the newest
# JDK in JAVA_HOME, /usr/lib/jvm and on PATH, and fails with a clear message when none is new enough.
# The `hubnet` realm is made from the seed data (hubnet_common/ops/identity.py) by
# hubnet_common/ops/local/keycloak_realm.py once Keycloak answers: new staff and partners are
# added, the ones there are updated; their passwords and client secrets are made once and kept in
# .local/keycloak/secrets/ (mode 0600).
#
# Override: INFRA_KEYCLOAK_PORT (18080; its management port, for health, is the next one up),
# INFRA_KEYCLOAK_WAIT (300, seconds).

KC_VERSION=26.5.6
KC_PORT="${INFRA_KEYCLOAK_PORT:-18080}"
KC_MANAGEMENT_PORT=$((KC_PORT + 1))
KC_WAIT="${INFRA_KEYCLOAK_WAIT:-300}"  # a first start on a busy machine took 3 minutes
KC_DIR="$LOCAL/keycloak"
KC_HOME="$KC_DIR/keycloak-$KC_VERSION"
KC_SECRETS="$KC_DIR/secrets"
KC_PID="$KC_DIR/keycloak.pid"
KC_OUT="$LOGS/keycloak.out"
KC_URL="http://127.0.0.1:$KC_PORT"
KC_ISSUER="$KC_URL/realms/hubnet"
KC_MIN_JAVA=21

# java_major JAVA: the feature version of that java binary (17, 21, 25…), or nothing.
java_major() {
    "$1" -XshowSettings:properties -version 2>&1 |
        sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n1
}

# kc_java: the path of the newest java of at least KC_MIN_JAVA.
kc_java() {
    local best="" best_major=0 candidate major
    for candidate in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} /usr/lib/jvm/*/bin/java "$(command -v java || true)"; do
        [[ -x "$candidate" ]] || continue
        major="$(java_major "$candidate")"
        [[ -n "$major" ]] || continue
        if ((major > best_major)); then best="$candidate" best_major="$major"; fi
    done
    ((best_major >= KC_MIN_JAVA)) ||
        die "Keycloak $KC_VERSION needs Java $KC_MIN_JAVA or newer; the newest found is ${best_major} (${best:-none}). Install a JDK 21+ (e.g. under /usr/lib/jvm) or set JAVA_HOME to one"
    echo "$best"
}

kc_fetch() {
    [[ -x "$KC_HOME/bin/kc.sh" ]] && return 0
    command -v mvn >/dev/null || die "mvn not found (needed once to download Keycloak)"
    log "downloading Keycloak $KC_VERSION (about 165 MB) into $KC_DIR"
    mkdir -p "$KC_DIR"
    local tmp="$KC_DIR/download.tmp"
    rm -rf "$tmp"
    mvn -q -B -Dstyle.color=never dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip" \
        -DoutputDirectory="$tmp" >"$LOGS/mvn-keycloak.log" 2>&1 ||
        { tail -n 30 "$LOGS/mvn-keycloak.log" >&2; die "mvn could not fetch Keycloak (see $LOGS/mvn-keycloak.log)"; }
    "$PYTHON" -m zipfile -e "$tmp/keycloak-quarkus-dist-$KC_VERSION.zip" "$tmp"  # zipfile keeps no modes
    chmod +x "$tmp/keycloak-$KC_VERSION"/bin/*.sh
    rm -rf "$KC_HOME"
    mv "$tmp/keycloak-$KC_VERSION" "$KC_HOME"
    rm -rf "$tmp"
}

kc_ready() { command -v curl >/dev/null || die "curl not found"; curl -fs -o /dev/null --max-time 2 "$KC_URL/realms/master/.well-known/openid-configuration"; }

# kc_realm: the hubnet realm equal to the seed data (idempotent).
kc_realm() {
    HUBNET_LOCAL_IDENTITIES="$KC_SECRETS" HUBNET_OIDC_URL="$KC_URL" \
        "$PYTHON" -m hubnet_common.ops.local.keycloak_realm apply
}

kc_up() {
    local pid java admin_password started
    if pid="$(live_pid "$KC_PID" "keycloak-$KC_VERSION")"; then
        kc_ready || die "keycloak (pid $pid) runs but does not answer on $KC_URL"
        log "keycloak already running on $KC_URL (pid $pid)"
        kc_realm
        return 0
    fi
    port_open "$KC_PORT" && die "port $KC_PORT is in use by another process"
    port_open "$KC_MANAGEMENT_PORT" && die "port $KC_MANAGEMENT_PORT is in use by another process"
    java="$(kc_java)"
    kc_fetch
    mkdir -p "$KC_SECRETS" && chmod 700 "$KC_SECRETS"
    [[ -s "$KC_SECRETS/admin" ]] || (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$KC_SECRETS/admin")
    admin_password="$(cat "$KC_SECRETS/admin")"
    log "starting keycloak $KC_VERSION on $KC_URL (java $(java_major "$java"))"
    # The bootstrap admin is made only on the first start, with the password kept in secrets/admin.
    # On Java 24 and later, JBoss threads need java.lang opened to reset thread locals; without it
    # request threads die with NoClassDefFoundError (seen under load, with logins refused after).
    JAVA_HOME="$(dirname "$(dirname "$java")")" JAVA_OPTS_KC_HEAP="-Xms64m -Xmx512m" \
        JAVA_OPTS_APPEND="--add-opens=java.base/java.lang=ALL-UNNAMED" \
        KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD="$admin_password" \
        spawn "$KC_PID" "$KC_OUT" "$KC_HOME/bin/kc.sh" start-dev \
        --http-host=127.0.0.1 --http-port="$KC_PORT" --http-management-port="$KC_MANAGEMENT_PORT" \
        --hostname="$KC_URL" --health-enabled=true
    started=$SECONDS
    while ((SECONDS - started < KC_WAIT)); do
        if kc_ready; then
            log "keycloak ready on $KC_URL after $((SECONDS - started))s"
            kc_realm
            return 0
        fi
        pid="$(live_pid "$KC_PID" "keycloak-$KC_VERSION")" || { tail -n 30 "$KC_OUT" >&2; die "keycloak exited (see $KC_OUT)"; }
        sleep 1
    done
    tail -n 30 "$KC_OUT" >&2
    die "keycloak did not answer within ${KC_WAIT}s (see $KC_OUT)"
}

kc_down() {
    local pid
    pid="$(live_pid "$KC_PID" "keycloak-$KC_VERSION")" || return 0
    stop_pid keycloak "$pid" 30
    rm -f "$KC_PID"
}

kc_status() {
    local pid
    if pid="$(running_pid "$KC_PID" "keycloak-$KC_VERSION")"; then
        status_line keycloak "$(kc_ready && echo up || echo starting)" "$KC_PORT" "$pid"
    else
        status_line keycloak down "$KC_PORT" -
    fi
}
