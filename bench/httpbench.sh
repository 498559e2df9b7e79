#!/bin/bash
# The HTTP layer alone against the reference of DESIGN.md §6: nginx (one worker, `return
# 202`) and votedesk-httpbench in each of MODES, each pinned to SERVER_CPU and driven by the
# same wrk script pinned to CLIENT_CPU, for every connection count in CONNS, ROUNDS times
# over (interleaved, so that a noisy neighbour hits all servers alike). Server CPU per
# request is utime+stime of the whole process (all its threads, from /proc/PID/stat) divided
# by the requests wrk completed. The summary takes medians, the ratios per round.
#
# MODES: immediate; deferred (replier thread wakes per batch and preempts the I/O thread);
# deferred-batch (replier under SCHED_BATCH: it runs when the I/O thread waits).
# BASELINE=/path/to/another/votedesk-httpbench adds its immediate and deferred modes (e.g. a
# build of an older commit) as "base-immediate" and "base-deferred".
#
#   bench/httpbench.sh
#   CONNS="64 1000" DURATION=10s ROUNDS=3 IO_THREADS=1 bench/httpbench.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
HTTPBENCH=${HTTPBENCH:-$BUILD_DIR/bench/votedesk-httpbench}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64 1000}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
IO_THREADS=${IO_THREADS:-1}
MODES=${MODES:-immediate deferred deferred-batch}
ROUNDS=${ROUNDS:-1}
BASELINE=${BASELINE:-}

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
    ROWS+=("round=$ROUND name=$name conns=$conns ticks=$((after - before)) $result")
}

run_httpbench() { # name conns binary args...
    local name=$1 conns=$2 binary=$3
    shift 3
    taskset -c "$SERVER_CPU" "$binary" --port 0 --io-threads "$IO_THREADS" "$@" \
        > "$WORK/$name.out" 2> "$WORK/$name.err" &
    local pid=$!
    PIDS+=($pid)
    for _ in $(seq 1 600); do
        grep -q '^listening on' "$WORK/$name.out" 2>/dev/null && break
        sleep 0.05
    done
    local port
    port=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\)$/\1/p' "$WORK/$name.out")
    if [ -z "$port" ]; then
        # Skipped, not fatal: one server that does not come up should not cost the others' rows.
        echo "httpbench: $name did not start within 30 s, skipped: $(cat "$WORK/$name.err")" >&2
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        return 0
    fi
    measure "$name" "$conns" "http://127.0.0.1:$port/v1/votes" $pid
    kill -TERM "$pid"
    wait "$pid" || true
}

for ROUND in $(seq 1 "$ROUNDS"); do
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
        case $mode in
        immediate) run_httpbench "$mode" "$conns" "$HTTPBENCH" --mode immediate ;;
        deferred) run_httpbench "$mode" "$conns" "$HTTPBENCH" --mode deferred --replier normal ;;
        deferred-batch) run_httpbench "$mode" "$conns" "$HTTPBENCH" --mode deferred --replier batch ;;
        *) echo "httpbench: unknown mode $mode" >&2; exit 2 ;;
        esac
    done
    if [ -n "$BASELINE" ]; then
        run_httpbench base-immediate "$conns" "$BASELINE" --mode immediate
        run_httpbench base-deferred "$conns" "$BASELINE" --mode deferred
    fi
done
done

python3 - "$TICKS" "$DURATION" "$IO_THREADS" "$ROUNDS" "${ROWS[@]}" <<'PY'
import statistics, sys
ticks, duration, io, rounds = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
rows = [dict(p.split('=') for p in r.split()) for r in sys.argv[5:]]
for r in rows:
    r['cpu'] = float(r['ticks']) / ticks * 1e6 / max(1.0, float(r['requests']))
ref = {(r['round'], r['conns']): r for r in rows if r['name'] == 'nginx'}
rows = [r for r in rows if (r['round'], r['conns']) in ref]
print(f"wrk -t1 -d{duration}, server pinned to one core, votedesk-httpbench --io-threads {io}, {rounds} round(s)")
print(f"{'round':>5} {'server':<15}{'conns':>6}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'err':>5}"
      f"{'cpu us/req':>11}{'rps/nginx':>10}{'cpu/nginx':>10}")
for r in rows:
    n = ref[(r['round'], r['conns'])]
    r['rps_ratio'] = float(r['rps']) / float(n['rps'])
    r['cpu_ratio'] = r['cpu'] / n['cpu']
    errors = int(r['non2xx']) + int(r['socket_errors'])
    print(f"{r['round']:>5} {r['name']:<15}{r['conns']:>6}{float(r['rps']):>9.0f}{float(r['p50_us'])/1000:>8.2f}"
          f"{float(r['p99_us'])/1000:>8.2f}{errors:>5}{r['cpu']:>11.2f}{r['rps_ratio']:>10.2f}{r['cpu_ratio']:>10.2f}")
print()
print("medians")
print(f"{'server':<15}{'conns':>6}{'req/s':>9}{'cpu us/req':>11}{'rps/nginx':>10}{'cpu/nginx':>10}")
seen = []
for r in rows:
    key = (r['name'], r['conns'])
    if key in seen:
        continue
    seen.append(key)
    group = [x for x in rows if (x['name'], x['conns']) == key]
    med = lambda f: statistics.median(f(x) for x in group)
    print(f"{key[0]:<15}{key[1]:>6}{med(lambda x: float(x['rps'])):>9.0f}{med(lambda x: x['cpu']):>11.2f}"
          f"{med(lambda x: x['rps_ratio']):>10.2f}{med(lambda x: x['cpu_ratio']):>10.2f}")
PY
