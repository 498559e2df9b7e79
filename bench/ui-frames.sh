#!/bin/bash
# Does the console keep repainting at >= 10 Hz while the ingest runs flat out? (issue 6,
# "Quality bar"). Starts the real console (GUI, not --headless) on an Xvfb display with
# VOTEDESK_FRAME_STATS set, lets it idle a few seconds, then drives it with votedesk-loadgen
# at --rate max (64 connections x 16 pipelined, the benchmark's full ingest rate) for
# DURATION, takes a screenshot near the end, stops the app and prints the frame intervals
# (and the refresh ticks' cost) over the load phase up to the screenshot.
#
#   bench/ui-frames.sh
#   DURATION=10s PIN=0 bench/ui-frames.sh      # no CPU pinning (the console's own machine)
#
# Frames are the top-level window's backing-store syncs (paint + flush of whatever changed),
# so their rate is capped by the console's 10 Hz refresh: ~100 ms intervals mean "keeps up".
# PIN=1 (default) pins the loadgen to CLIENT_CPU and the whole console - UI thread, I/O
# threads, workers and writer - to SERVER_CPU, as bench/run.sh does: the UI thread competes
# with the full ingest on one core, the hard case.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
VOTEDESK=${VOTEDESK:-$BUILD_DIR/app/votedesk}
LOADGEN=${LOADGEN:-$BUILD_DIR/tools/loadgen/votedesk-loadgen}
DURATION=${DURATION:-20s}
CONNS=${CONNS:-64}
PIPELINE=${PIPELINE:-16}
PIN=${PIN:-1}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
SCREEN=${SCREEN:-1600x1000}
SHOT_DIR=${SHOT_DIR:-$BUILD_DIR/screenshots}

for tool in xvfb-run python3; do
    command -v "$tool" > /dev/null || { echo "ui-frames: $tool is needed" >&2; exit 1; }
done
for binary in "$VOTEDESK" "$LOADGEN"; do
    [ -x "$binary" ] || { echo "ui-frames: $binary is missing (build first)" >&2; exit 1; }
done

# Everything below needs the X display: run it inside xvfb-run (one Xvfb, gone afterwards).
if [ "${UI_FRAMES_INNER:-}" != 1 ]; then
    exec env UI_FRAMES_INNER=1 xvfb-run -a -s "-screen 0 ${SCREEN}x24 -nolisten tcp" "$0" "$@"
fi

WORK=$(mktemp -d /tmp/votedesk-ui-frames.XXXXXX)
APP_PID=""
cleanup() {
    [ -n "$APP_PID" ] && kill "$APP_PID" 2> /dev/null || true
    wait 2> /dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# taskset execs the program: $! is then the program itself, which a shell function would not be.
SERVER_PIN=()
CLIENT_PIN=()
if [ "$PIN" = 1 ]; then
    SERVER_PIN=(taskset -c "$SERVER_CPU")
    CLIENT_PIN=(taskset -c "$CLIENT_CPU")
fi
now_ms() { date +%s%3N; }

VOTEDESK_FRAME_STATS="$WORK/frames.csv" QT_QPA_PLATFORM=xcb \
    "${SERVER_PIN[@]}" "$VOTEDESK" --port 0 --db "$WORK/votedesk.db" > "$WORK/app.out" 2> "$WORK/app.err" &
APP_PID=$!
for _ in $(seq 1 200); do
    grep -q '^listening on' "$WORK/app.out" 2> /dev/null && break
    sleep 0.05
done
PORT=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\)$/\1/p' "$WORK/app.out")
if [ -z "$PORT" ]; then
    echo "ui-frames: the console did not start:" >&2
    cat "$WORK/app.err" >&2
    exit 1
fi

# Idle: lines ready, nothing changes but the uptime.
IDLE_FROM=$(now_ms)
sleep 3
LOAD_FROM=$(now_ms)
"${CLIENT_PIN[@]}" "$LOADGEN" --url "http://127.0.0.1:$PORT" --open --rate max --connections "$CONNS" \
    --pipeline "$PIPELINE" --duration "$DURATION" --report "$WORK/load.json" --quiet \
    > "$WORK/load.out" 2> "$WORK/load.err" &
LOAD_PID=$!
# Near the end: what the producer sees at full rate. `import` reads the whole screen from
# the (single-threaded) X server, which stalls every client's flush meanwhile, so the frame
# figures stop where the screenshot starts.
SHOT_AFTER=$(python3 -c "import re,sys; m=re.fullmatch(r'(\d+)(ms|s|m)',sys.argv[1]); print(max(1.0,{'ms':0.001,'s':1,'m':60}[m[2]]*int(m[1])-3))" "$DURATION")
sleep "$SHOT_AFTER"
SHOT_AT=$(now_ms)
mkdir -p "$SHOT_DIR"
SHOT="$SHOT_DIR/ui-frames-load.png"
if command -v import > /dev/null; then
    import -window root "$SHOT" 2> /dev/null && echo "screenshot under load: $SHOT"
else
    echo "ui-frames: no screenshot (ImageMagick's import is missing)" >&2
fi
wait "$LOAD_PID" || echo "ui-frames: loadgen exit code $? (see $WORK/load.err)" >&2
LOAD_TO=$(now_ms)
sleep 1

# A clean stop writes the last frames (and the X server must outlive the app).
kill -TERM "$APP_PID"
wait "$APP_PID" || { echo "ui-frames: the console did not stop cleanly:" >&2; tail -3 "$WORK/app.err" >&2; }
APP_PID=""

python3 - "$WORK/frames.csv" "$IDLE_FROM" "$LOAD_FROM" "$SHOT_AT" "$LOAD_TO" "$WORK/load.json" "$PIN" <<'PY'
import csv, json, sys

path, idle_from, load_from, shot_at, load_end, report, pin = sys.argv[1:8]
idle_from, load_from, load_to, load_end = int(idle_from), int(load_from), int(shot_at), int(load_end)
rows = list(csv.DictReader(open(path)))

def pick(kind, lo, hi):
    return [r for r in rows if r["kind"] == kind and lo <= int(r["wall_ms"]) <= hi]

def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]

def line(name, values):
    if not values:
        return f"{name:<24} (none)"
    return (f"{name:<24} n={len(values):<5} p50={pct(values, 50):7.1f}  p99={pct(values, 99):7.1f}"
            f"  max={max(values):7.1f} ms")

try:
    r = json.load(open(report))
    print(f"load: {r['send_rate']:.0f} votes/s sent, {r['acked']} acknowledged, "
          f"p50 {r['latency_ms']['p50']:.2f} ms, p99 {r['latency_ms']['p99']:.2f} ms, "
          f"{'pinned: console on one core, loadgen on the other' if pin == '1' else 'not pinned'}")
except Exception as e:  # the frame figures are still worth printing
    print(f"load: no report ({e})")

# Skip the first interval of a phase: it spans the phase boundary.
frames = pick("frame", load_from, load_to)
intervals = [float(r["interval_ms"]) for r in frames[1:]]
paint = [float(r["duration_ms"]) for r in frames]
ticks = pick("tick", load_from, load_to)
tick_intervals = [float(r["interval_ms"]) for r in ticks[1:]]
tick_work = [float(r["duration_ms"]) for r in ticks]
seconds = (load_to - load_from) / 1000
print(f"under load ({seconds:.1f} s): {len(frames)} frames = {len(frames) / seconds:.1f} frames/s")
print(line("frame interval", intervals))
print(line("frame paint+flush", paint))
print(line("refresh tick interval", tick_intervals))
print(line("refresh tick work", tick_work))
late = sum(1 for v in intervals if v > 150)
print(f"frame intervals > 150 ms: {late} of {len(intervals)}; > 200 ms: "
      f"{sum(1 for v in intervals if v > 200)}")
slow = sorted(frames[1:], key=lambda r: -float(r["interval_ms"]))[:5]
print("slowest frame gaps: " + ", ".join(
    f'{float(r["interval_ms"]):.0f} ms at +{(int(r["wall_ms"]) - load_from) / 1000:.1f} s' for r in slow))
with_shot = [float(r["interval_ms"]) for r in pick("frame", load_from, load_end)[1:]]
print(line("(with the screenshot)", with_shot))
idle = pick("frame", idle_from, load_from)
print(f"idle before the load (lines ready): {len(idle)} frames in {(load_from - idle_from) / 1000:.1f} s "
      "(only what changes is repainted)")
verdict = "PASS" if intervals and pct(intervals, 50) <= 105 and len(frames) / seconds >= 9.5 else "FAIL"
print(f"VERDICT: {verdict} (>= 10 Hz: frame interval p50 <= 105 ms and >= 9.5 frames/s)")
PY
