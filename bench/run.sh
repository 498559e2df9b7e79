#!/bin/bash
# The reference benchmark of DESIGN.md §6: nginx (one worker, `return 202`) and votedesk
# (--headless --io-threads 1, lines open, full durability), each pinned to SERVER_CPU, driven
# by the same wrk script pinned to CLIENT_CPU. Prints one table with req/s, p50, p99, non-2xx,
# server CPU per request, the ratio to nginx, and acked vs stored votes.
#
#   bench/run.sh            (make bench runs it)
#   DURATION=30s CONNS=256 bench/run.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
VOTEDESK=${VOTEDESK:-$BUILD_DIR/app/votedesk}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
DURABILITY=${DURABILITY:-full}
VOTEDESK_ARGS=${VOTEDESK_ARGS:-}

WORK=$(mktemp -d /tmp/votedesk-bench.XXXXXX)
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
    echo "bench: $1 did not come up" >&2
    return 1
}

# utime+stime in clock ticks of a process and its threads (children are summed by the caller).
cpu_ticks() {
    local total=0
    for pid in "$@"; do
        if [ -r "/proc/$pid/stat" ]; then
            total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
        fi
    done
    echo "$total"
}

run_wrk() { # name url
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$ROOT/bench/votes.lua" "$2" \
        > "$WORK/$1.wrk" 2>&1
    grep '^RESULT' "$WORK/$1.wrk" | sed 's/^RESULT //'
}

field() { # "k=v ..." key
    echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

TICKS=$(getconf CLK_TCK)

# --- nginx -------------------------------------------------------------------------------
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx/body" "$WORK/nginx/proxy"
sed -e "s|@DIR@|$WORK/nginx|g" -e "s|@PORT@|$NGINX_PORT|g" "$ROOT/bench/nginx.conf.in" > "$WORK/nginx/nginx.conf"
taskset -c "$SERVER_CPU" nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" -e "$WORK/nginx/nginx-error.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:$NGINX_PORT/"
NGINX_PIDS=$(pgrep -f "nginx -c $WORK/nginx/nginx.conf" | tr '\n' ' '; pgrep -P "$(cat "$WORK/nginx/nginx.pid")" | tr '\n' ' ')
before=$(cpu_ticks $NGINX_PIDS)
NGINX=$(run_wrk nginx "http://127.0.0.1:$NGINX_PORT/v1/votes")
after=$(cpu_ticks $NGINX_PIDS)
NGINX_CPU_US=$(python3 -c "print(f'{($after-$before)/$TICKS*1e6/max(1,$(field "$NGINX" requests)):.2f}')")
kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true

# --- votedesk ----------------------------------------------------------------------------
taskset -c "$SERVER_CPU" "$VOTEDESK" --headless --port 0 --db "$WORK/votedesk.db" --durability "$DURABILITY" \
    $VOTEDESK_ARGS > "$WORK/votedesk.out" 2> "$WORK/votedesk.err" &
VD_PID=$!
PIDS+=($VD_PID)
for _ in $(seq 1 200); do
    grep -q '^listening on' "$WORK/votedesk.out" 2>/dev/null && break
    sleep 0.05
done
VD_PORT=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\)$/\1/p' "$WORK/votedesk.out")
[ -n "$VD_PORT" ] || { echo "bench: votedesk did not start:"; cat "$WORK/votedesk.err"; exit 1; }
BASE="http://127.0.0.1:$VD_PORT"
curl -sf -H 'Content-Type: application/json' -o /dev/null \
    -d '{"title":"bench","question":"bench","window_seconds":3600,"options":[{"key":"A"},{"key":"B"},{"key":"C"},{"key":"D"}]}' \
    "$BASE/v1/admin/sessions"
curl -sf -H 'Content-Type: application/json' -o /dev/null -d '{"action":"open"}' "$BASE/v1/admin/window"
before=$(cpu_ticks $VD_PID)
VD=$(run_wrk votedesk "$BASE/v1/votes")
after=$(cpu_ticks $VD_PID)
VD_CPU_US=$(python3 -c "print(f'{($after-$before)/$TICKS*1e6/max(1,$(field "$VD" requests)):.2f}')")
# Let in-flight votes commit, then stop cleanly and count what the store holds.
curl -sf -H 'Content-Type: application/json' -o /dev/null -d '{"action":"close"}' "$BASE/v1/admin/window"
kill -TERM "$VD_PID"
wait "$VD_PID" || true
STORED=$(sqlite3 "$WORK/votedesk.db" 'SELECT COUNT(*) FROM votes')

# --- table -------------------------------------------------------------------------------
python3 - "$NGINX" "$VD" "$NGINX_CPU_US" "$VD_CPU_US" "$STORED" "$CONNS" "$DURATION" "$DURABILITY" <<'PY'
import sys
def parse(s): return {k: float(v) for k, v in (p.split('=') for p in s.split())}
ng, vd = parse(sys.argv[1]), parse(sys.argv[2])
ng_cpu, vd_cpu, stored = float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
print(f"wrk -t1 -c{sys.argv[6]} -d{sys.argv[7]}, server pinned to one core, votedesk durability={sys.argv[8]}")
print(f"{'server':<10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'sock err':>9}{'cpu us/req':>12}{'ratio':>8}")
for name, r, cpu in (("nginx", ng, ng_cpu), ("votedesk", vd, vd_cpu)):
    print(f"{name:<10}{r['rps']:>10.0f}{r['p50_us']/1000:>9.2f}{r['p99_us']/1000:>9.2f}{int(r['non2xx']):>9}"
          f"{int(r['socket_errors']):>9}{cpu:>12.2f}{r['rps']/ng['rps']:>8.2f}")
acked = int(vd['acked'])
print(f"acked={acked} stored={stored} stored-acked={stored-acked} (in flight at stop <= {sys.argv[6]})")
ok = stored >= acked and stored - acked <= int(sys.argv[6])
print("store check:", "OK" if ok else "FAILED")
sys.exit(0 if ok else 1)
PY
