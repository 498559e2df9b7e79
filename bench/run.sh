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
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
DURABILITY=${DURABILITY:-full}
VOTEDESK_ARGS=${VOTEDESK_ARGS:-}

WORK=$(mktemp -d /tmp/votedesk-bench.XXXXXX)
. "$ROOT/bench/lib.sh"
trap bench_cleanup EXIT

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
# shellcheck disable=SC2086
start_votedesk "$SERVER_CPU" --io-threads 1 --durability "$DURABILITY" $VOTEDESK_ARGS
before=$(cpu_ticks $VD_PID)
VD=$(run_wrk votedesk "$BASE/v1/votes")
after=$(cpu_ticks $VD_PID)
VD_CPU_US=$(python3 -c "print(f'{($after-$before)/$TICKS*1e6/max(1,$(field "$VD" requests)):.2f}')")
# Let in-flight votes commit, then stop cleanly and count what the store holds.
close_and_count > /dev/null
stop_votedesk
STORED=$(sqlite3 "$WORK/votedesk.db" 'SELECT COUNT(*) FROM votes WHERE session_id <> 0') # session 0: the canary's

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
