#!/bin/bash
# The Locust scenario of the cloud articles against a headless votedesk: USERS viewers, each
# votes once after a think time. Passes when votedesk's final tally equals Locust's count of
# successful (202) votes.
#
#   bench/locust.sh                 USERS=5000 SPAWN_RATE=1000 RUN_TIME=30s bench/locust.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
USERS=${USERS:-3000}
SPAWN_RATE=${SPAWN_RATE:-500}
RUN_TIME=${RUN_TIME:-30s}
WORK=$(mktemp -d /tmp/votedesk-locust.XXXXXX)
. "$ROOT/bench/lib.sh"
trap bench_cleanup EXIT

start_votedesk 0-$(($(nproc) - 1))
# Debian's locust runs on Debian's python3 (python3-locust), whatever python3 is first on PATH.
/usr/bin/python3 -m locust -f "$ROOT/bench/locustfile.py" --headless --host "$BASE" -u "$USERS" -r "$SPAWN_RATE" \
    -t "$RUN_TIME" --csv "$WORK/locust" --only-summary --stop-timeout 10 > "$WORK/locust.log" 2>&1 || true
ACCEPTED=$(close_and_count)
stop_votedesk

python3 - "$WORK/locust_stats.csv" "$ACCEPTED" "$USERS" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
total = next(r for r in rows if r["Name"] == "Aggregated")
requests, failures = int(total["Request Count"]), int(total["Failure Count"])
success, accepted = requests - failures, int(sys.argv[2])
print(f"locust users={sys.argv[3]} requests={requests} failures={failures} success={success} "
      f"p50={total['50%']}ms p99={total['99%']}ms")
print(f"votedesk accepted={accepted}")
ok = success == accepted
print("tally check:", "OK (final tally equals Locust's success count)" if ok else "FAILED")
sys.exit(0 if ok else 1)
PY
