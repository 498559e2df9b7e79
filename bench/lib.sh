# Shared by the bench scripts: start a headless votedesk on a free port with an open window,
# stop it, read numbers from it. Source it; it expects ROOT and WORK to be set.

VOTEDESK=${VOTEDESK:-${BUILD_DIR:-$ROOT/build}/app/votedesk}
PIDS=()

bench_cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}

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

# utime+stime in clock ticks of the given processes (all their threads).
cpu_ticks() {
    local total=0
    for pid in "$@"; do
        if [ -r "/proc/$pid/stat" ]; then
            total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
        fi
    done
    echo "$total"
}

# start_votedesk CPU_LIST EXTRA_ARGS... : sets VD_PID and BASE; the session has a one-hour
# window with options A-D and the lines are open.
start_votedesk() {
    local cpus=$1
    shift
    taskset -c "$cpus" "$VOTEDESK" --headless --port 0 --db "$WORK/votedesk.db" "$@" \
        > "$WORK/votedesk.out" 2> "$WORK/votedesk.err" &
    VD_PID=$!
    PIDS+=("$VD_PID")
    for _ in $(seq 1 200); do
        grep -q '^listening on' "$WORK/votedesk.out" 2>/dev/null && break
        sleep 0.05
    done
    local port
    port=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\)$/\1/p' "$WORK/votedesk.out")
    if [ -z "$port" ]; then
        echo "bench: votedesk did not start:" >&2
        cat "$WORK/votedesk.err" >&2
        exit 1
    fi
    BASE="http://127.0.0.1:$port"
    curl -sf -H 'Content-Type: application/json' -o /dev/null \
        -d '{"title":"bench","question":"bench","window_seconds":3600,"options":[{"key":"A"},{"key":"B"},{"key":"C"},{"key":"D"}]}' \
        "$BASE/v1/admin/sessions"
    curl -sf -H 'Content-Type: application/json' -o /dev/null -d '{"action":"open"}' "$BASE/v1/admin/window"
}

# Closes the window, waits until the results are frozen, prints the accepted count.
close_and_count() {
    curl -sf -H 'Content-Type: application/json' -o /dev/null -d '{"action":"close"}' "$BASE/v1/admin/window"
    for _ in $(seq 1 600); do
        curl -s "$BASE/v1/admin/results" | grep -q '"state":"closed"' && break
        sleep 0.05
    done
    curl -s "$BASE/v1/admin/results" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accepted"])'
}

stop_votedesk() {
    kill -TERM "$VD_PID" 2>/dev/null || true
    wait "$VD_PID" 2>/dev/null || true
}
