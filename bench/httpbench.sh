#!/bin/bash
# The HTTP layer alone against the reference of DESIGN.md §6: nginx (one worker, `return
# 202`), votedesk-httpbench --mode immediate and --mode deferred, each pinned to SERVER_CPU
# and driven by the same wrk script pinned to CLIENT_CPU, for every connection count in
# CONNS. Server CPU per request is utime+stime of the whole process (all its threads, from
# /proc/PID/stat) divided by the requests wrk completed.
#
#   bench/httpbench.sh
#   CONNS="64 1000" DURATION=10s IO_THREADS=1 bench/httpbench.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
HTTPBENCH=${HTTPBENCH:-$BUILD_DIR/bench/votedesk-httpbench}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64 1000}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
IO_THREADS=${IO_THREADS:-1}
MODES=${MODES:-immediate deferred}

WORK=$(mktemp -d /tmp/votedesk-httpbench.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() { # url
    for _ in $(seq 1 200); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.05
    done
    echo "httpbench: $1 did not come up" >&2
    return 1
}

cpu_ticks() {
    local total=0
    for pid in "$@"; do
        if [ -r "/proc/$pid/stat" ]; then
            total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
        fi
    done
    echo "$total"
}

TICKS=$(getconf CLK_TCK)
ROWS=()

measure() { # name conns url pids...
    local name=$1 conns=$2 url=$3
    shift 3
    local before after result
    before=$(cpu_ticks "$@")
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$conns" -d"$DURATION" --latency -s "$ROOT/bench/votes.lua" "$url" \
        > "$WORK/$name-$conns.wrk" 2>&1
    after=$(cpu_ticks "$@")
    result=$(grep '^RESULT' "$WORK/$name-$conns.wrk" | sed 's/^RESULT //')
    ROWS+=("name=$name conns=$conns ticks=$((after - before)) $result")
}

for conns in $CONNS; do
    # --- nginx ---------------------------------------------------------------------------
    port=$(free_port)
    mkdir -p "$WORK/nginx/body" "$WORK/nginx/proxy"
    sed -e "s|@DIR@|$WORK/nginx|g" -e "s|@PORT@|$port|g" "$ROOT/bench/nginx.conf.in" > "$WORK/nginx/nginx.conf"
    taskset -c "$SERVER_CPU" nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" -e "$WORK/nginx/nginx-error.log" &
    master=$!
    PIDS+=($master)
    wait_http "http://127.0.0.1:$port/"
    workers=$(pgrep -P "$(cat "$WORK/nginx/nginx.pid")" | tr '\n' ' ')
    measure nginx "$conns" "http://127.0.0.1:$port/v1/votes" $master $workers
    kill "$master" 2>/dev/null || true
    wait "$master" 2>/dev/null || true

    # --- votedesk-httpbench ---------------------------------------------------------------
    for mode in $MODES; do
        taskset -c "$SERVER_CPU" "$HTTPBENCH" --port 0 --io-threads "$IO_THREADS" --mode "$mode" \
            > "$WORK/$mode.out" 2> "$WORK/$mode.err" &
        pid=$!
        PIDS+=($pid)
        for _ in $(seq 1 200); do
            grep -q '^listening on' "$WORK/$mode.out" 2>/dev/null && break
            sleep 0.05
        done
        port=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\)$/\1/p' "$WORK/$mode.out")
        [ -n "$port" ] || { echo "httpbench: $mode did not start:"; cat "$WORK/$mode.err"; exit 1; }
        measure "$mode" "$conns" "http://127.0.0.1:$port/v1/votes" $pid
        kill -TERM "$pid"
        wait "$pid" || true
    done
done

python3 - "$TICKS" "$DURATION" "$IO_THREADS" "${ROWS[@]}" <<'PY'
import sys
ticks, duration, io = float(sys.argv[1]), sys.argv[2], sys.argv[3]
rows = [dict(p.split('=') for p in r.split()) for r in sys.argv[4:]]
print(f"wrk -t1 -d{duration}, server pinned to one core, votedesk-httpbench --io-threads {io}")
print(f"{'server':<10}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'sock err':>9}"
      f"{'cpu us/req':>12}{'rps/nginx':>10}{'cpu/nginx':>10}")
ref = {}
for r in rows:
    cpu = float(r['ticks']) / ticks * 1e6 / max(1.0, float(r['requests']))
    if r['name'] == 'nginx':
        ref[r['conns']] = (float(r['rps']), cpu)
    nrps, ncpu = ref.get(r['conns'], (float(r['rps']), cpu))
    print(f"{r['name']:<10}{r['conns']:>6}{float(r['rps']):>10.0f}{float(r['p50_us'])/1000:>9.2f}"
          f"{float(r['p99_us'])/1000:>9.2f}{int(r['non2xx']):>9}{int(r['socket_errors']):>9}"
          f"{cpu:>12.2f}{float(r['rps'])/nrps:>10.2f}{cpu/ncpu:>10.2f}")
PY
