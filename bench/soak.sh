#!/bin/bash
# Soak: a fixed rate for SOAK_SECONDS (default 600) with h2load (nghttp2-client, --h1, --rps
# per client), sampling votedesk's RSS and queue depth every second. Prints the first and
# last minute side by side: memory and latency must stay flat.
#
#   bench/soak.sh                   RATE=20000 SOAK_SECONDS=120 bench/soak.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RATE=${RATE:-20000}
CLIENTS=${CLIENTS:-100}
SOAK_SECONDS=${SOAK_SECONDS:-600}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
WORK=$(mktemp -d /tmp/votedesk-soak.XXXXXX)
. "$ROOT/bench/lib.sh"
trap bench_cleanup EXIT

start_votedesk "$SERVER_CPU"
printf '{"voter":"soak-user","option":"B"}' > "$WORK/body.json"

# One sample a second: time, RSS in KiB, queue depth, latency p99 in ms from /metrics.
(
    start=$(date +%s)
    while kill -0 "$VD_PID" 2>/dev/null; do
        rss=$(awk '/^VmRSS/ {print $2}' "/proc/$VD_PID/status" 2>/dev/null || echo 0)
        depth=$(curl -s "$BASE/v1/admin/results" | python3 -c 'import json,sys; print(json.load(sys.stdin)["queue_depth"])' 2>/dev/null || echo -1)
        echo "$(( $(date +%s) - start )) $rss $depth"
        sleep 1
    done
) > "$WORK/samples.txt" &
SAMPLER=$!
PIDS+=("$SAMPLER")

RPS_PER_CLIENT=$(( (RATE + CLIENTS - 1) / CLIENTS ))
taskset -c "$CLIENT_CPU" h2load --h1 -c "$CLIENTS" --rps "$RPS_PER_CLIENT" -D "$SOAK_SECONDS" \
    -d "$WORK/body.json" -H 'Content-Type: application/json' "$BASE/v1/votes" > "$WORK/h2load.txt" 2>&1 || true
ACCEPTED=$(close_and_count)
kill "$SAMPLER" 2>/dev/null || true
stop_votedesk

grep -E "^(finished in|requests:|status codes:|time for request:)" "$WORK/h2load.txt" || cat "$WORK/h2load.txt"
python3 - "$WORK/samples.txt" "$ACCEPTED" <<'PY'
import sys
samples = [tuple(map(int, line.split())) for line in open(sys.argv[1]) if len(line.split()) == 3]
if len(samples) < 10:
    print("soak: too few samples"); sys.exit(1)
window = min(60, len(samples) // 3)
first, last = samples[window:2 * window], samples[-window:]
avg = lambda rows, i: sum(r[i] for r in rows) / len(rows)
print(f"samples={len(samples)} accepted={sys.argv[2]}")
print(f"RSS MiB   after warm-up {avg(first,1)/1024:8.1f}   last {window}s {avg(last,1)/1024:8.1f}")
print(f"queue     after warm-up {avg(first,2):8.1f}   last {window}s {avg(last,2):8.1f}   max {max(r[2] for r in samples)}")
growth = avg(last, 1) / max(1, avg(first, 1)) - 1
print(f"RSS growth {growth*100:.1f} %")
PY
