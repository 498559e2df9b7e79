# votedesk — the two commands: `make run` and `make test` (and `make bench` later).
# Each installs the Debian packages that are missing, configures CMake (Ninja, Release)
# and builds; nothing else needs to be set up by hand.

BUILD_DIR  ?= build
BUILD_TYPE ?= Release
ARGS       ?=
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

# Build and test dependencies (Debian bookworm).
PACKAGES := build-essential cmake ninja-build pkg-config \
            qt6-base-dev qt6-charts-dev libqt6sql6-sqlite libhttp-parser-dev libsqlite3-dev \
            fonts-dejavu-core xvfb xauth x11-utils clang-format \
            libzip-dev python3

# Benchmarks only (make bench).
BENCH_PACKAGES := wrk nginx-light python3-locust nghttp2-client sqlite3 curl util-linux

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps bench-deps configure build run test bench format format-check clean

all: build

deps:
	@$(MAKE) --no-print-directory install-packages LIST="$(PACKAGES)"

bench-deps:
	@$(MAKE) --no-print-directory install-packages LIST="$(PACKAGES) $(BENCH_PACKAGES)"

install-packages:
	@missing=""; \
	for p in $(LIST); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

configure: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: configure
	cmake --build $(BUILD_DIR) --parallel $(JOBS)

# Starts the console on the embedded SQLite store in the user's data folder; a demo
# session is created on first start. Pass options with ARGS="--port 9000".
run: build
	$(BUILD_DIR)/app/votedesk $(ARGS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 300 -j $(JOBS)

# Reference run against nginx (DESIGN.md §6), the Locust scenario, and a soak run.
# SOAK_SECONDS=600 by default; DURATION (wrk) 10s.
bench: bench-deps build
	bench/run.sh
	bench/locust.sh
	bench/loadgen.sh
	bench/soak.sh

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

format-check:
	git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD_DIR)
