#!/bin/bash
# How fast votedesk-loadgen sends from one core (README, "Load generator"). The loadgen is
# pinned to CLIENT_CPU, the server to SERVER_CPU: first nginx (one worker, `return 202`,
# the reference of DESIGN.md §6), then votedesk --headless with its lines open. Each run is
# `--rate max` (every free pipeline slot is filled at once) for DURATION; the table shows the
# requests per second it achieved and the loadgen's own CPU time per request, which is what
# bounds it on one core. The votedesk run is verified (--verify) on top.
#
#   bench/loadgen.sh
#   DURATION=10s CONNS=256 PIPELINE=16 bench/loadgen.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
DURATION=${DURATION:-5s}
CONNS=${CONNS:-64}
PIPELINE=${PIPELINE:-16}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
DURABILITY=${DURABILITY:-full}
LOADGEN=${LOADGEN:-$BUILD_DIR/tools/loadgen/votedesk-loadgen}

WORK=$(mktemp -d /tmp/votedesk-loadgen-bench.XXXXXX)
. "$ROOT/bench/lib.sh"
trap bench_cleanup EXIT
TICKS=$(getconf CLK_TCK)

# run_loadgen NAME URL EXTRA... : runs the pinned loadgen, prints "req/s cpu_us_per_req p50 p99"
run_loadgen() {
    local name=$1 url=$2
    shift 2
    taskset -c "$CLIENT_CPU" "$LOADGEN" --url "$url" --rate max --duration "$DURATION" \
        --connections "$CONNS" --pipeline "$PIPELINE" --report "$WORK/$name.json" --quiet "$@" \
        > "$WORK/$name.out" 2> "$WORK/$name.err" &
    local pid=$!
    # utime+stime of the loadgen itself, read just before it exits.
    local ticks=0
    while kill -0 "$pid" 2>/dev/null; do
        ticks=$(cpu_ticks "$pid")
        sleep 0.2
    done
    wait "$pid" || true
    python3 - "$WORK/$name.json" "$ticks" "$TICKS" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ticks, hz = int(sys.argv[2]), int(sys.argv[3])
cpu_us = ticks / hz * 1e6 / max(1, r["requests"])
print(f'{r["send_rate"]:.0f} {cpu_us:.2f} {r["latency_ms"]["p50"]:.2f} {r["latency_ms"]["p99"]:.2f} {r["acked"]}')
PY
}

# --- nginx -------------------------------------------------------------------------------
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx/body" "$WORK/nginx/proxy"
sed -e "s|@DIR@|$WORK/nginx|g" -e "s|@PORT@|$NGINX_PORT|g" "$ROOT/bench/nginx.conf.in" > "$WORK/nginx/nginx.conf"
taskset -c "$SERVER_CPU" nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" -e "$WORK/nginx/nginx-error.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$NGINX_PORT/"
NGINX=$(run_loadgen nginx "http://127.0.0.1:$NGINX_PORT" --options A,B,C,D)
kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true

# --- votedesk ----------------------------------------------------------------------------
start_votedesk "$SERVER_CPU" --durability "$DURABILITY"
VD=$(run_loadgen votedesk "$BASE" --verify)
VERDICT=$(grep '^VERDICT' "$WORK/votedesk.out" || echo "VERDICT: (none)")
stop_votedesk

python3 - "$NGINX" "$VD" "$CONNS" "$PIPELINE" "$DURATION" "$DURABILITY" <<'PY'
import sys
ng, vd = sys.argv[1].split(), sys.argv[2].split()
print(f"votedesk-loadgen --rate max -c{sys.argv[3]} x{sys.argv[4]} pipelined for {sys.argv[5]}, loadgen pinned to one core, "
      f"server to the other; votedesk durability={sys.argv[6]}")
print(f"{'server':<10}{'req/s':>10}{'loadgen cpu us/req':>20}{'p50 ms':>9}{'p99 ms':>9}{'2xx':>10}")
for name, r in (("nginx", ng), ("votedesk", vd)):
    print(f"{name:<10}{float(r[0]):>10.0f}{float(r[1]):>20.2f}{float(r[2]):>9.2f}{float(r[3]):>9.2f}{int(r[4]):>10}")
print(f"loadgen ceiling on one core at nginx's cost per request: {1e6/max(0.01, float(ng[1])):.0f} req/s")
PY
echo "$VERDICT"
