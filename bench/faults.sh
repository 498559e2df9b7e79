#!/bin/bash
# The long forms of the fault tests (README, "Guarantees"): the same test executables as
# `make test`, with more rounds, longer and faster loads.
#
#   kill -9 under load: CRASH_ROUNDS rounds (default 10) of every kill point, each with
#     CRASH_SECONDS (10) of load at CRASH_RATE votes/s (20000), restart and --verify-record.
#   slow and idle clients: SLOW_IDLE connections (5000) and SLOW_LORIS slow-header clients (500).
#
#   bench/faults.sh
#   CRASH_ROUNDS=50 CRASH_SECONDS=30 bench/faults.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}

echo "== kill -9 under load: ${CRASH_ROUNDS:-10} rounds of every kill point"
VOTEDESK_CRASH_ROUNDS=${CRASH_ROUNDS:-10} VOTEDESK_CRASH_SECONDS=${CRASH_SECONDS:-10} \
    VOTEDESK_CRASH_RATE=${CRASH_RATE:-20000} "$BUILD_DIR/tests/tst_crashrecovery" -silent

echo "== slow and idle clients: ${SLOW_IDLE:-5000} idle, ${SLOW_LORIS:-500} slow-header"
VOTEDESK_SLOW_IDLE=${SLOW_IDLE:-5000} VOTEDESK_SLOW_LORIS=${SLOW_LORIS:-500} \
    "$BUILD_DIR/tests/tst_slowclients" -silent
