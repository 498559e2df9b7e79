# votedesk — the two commands: `make run` and `make test` (and `make bench` later).
# Each installs the Debian packages that are missing, configures CMake (Ninja, Release)
# and builds; nothing else needs to be set up by hand.

BUILD_DIR  ?= build
BUILD_TYPE ?= Release
ARGS       ?=
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

# Build and test dependencies (Debian bookworm).
PACKAGES := build-essential cmake ninja-build pkg-config \
            qt6-base-dev qt6-charts-dev libqt6sql6-sqlite libhttp-parser-dev libsqlite3-dev libqrencode-dev \
            libzip-dev fonts-dejavu-core xvfb xauth x11-utils clang-format dpkg-dev desktop-file-utils \
            chromium nodejs zbar-tools clang-14 libclang-rt-14-dev python3 libssl-dev openssl

# Benchmarks only (make bench).
BENCH_PACKAGES := wrk nginx-light python3-locust nghttp2-client sqlite3 curl util-linux imagemagick

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Instrumented builds, each in its own folder (README, "Guarantees"; cmake/VotedeskSanitizers.cmake):
# `make test` runs the unit and integration tests under ASan + UBSan, the pipeline tests under
# TSan, and each libFuzzer harness for FUZZ_SECONDS; `make bench` fuzzes for FUZZ_SECONDS_LONG.
# -Werror stays a GCC matter: the clang fuzzing build shows its own warnings without failing.
ASAN_DIR          ?= build-asan
TSAN_DIR          ?= build-tsan
FUZZ_DIR          ?= build-fuzz
FUZZ_SECONDS      ?= 60
FUZZ_SECONDS_LONG ?= 1800
FUZZ_HARNESSES    := requestparser votevalidator sessiondefinition
# The tests whose threads meet: ingest queue, writer queue, worker pool, journal writer, engine,
# the fraud figures (I/O threads record, the engine's thread reads).
PIPELINE_TESTS    := tst_ingestqueue tst_writerqueue tst_workerpool tst_orchestrator tst_journalwriter \
                     tst_engine tst_storagefaults tst_feeds tst_canary tst_fraud
SANITIZER_ENV     := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 \
                     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
                     TSAN_OPTIONS=suppressions=$(CURDIR)/tests/tsan.supp:ignore_noninstrumented_modules=1:halt_on_error=1:second_deadlock_stack=1:die_after_fork=0

.PHONY: all deps bench-deps configure build run test test-plain test-asan test-tsan fuzz-build fuzz-short \
        fuzz-long fuzz-run bench package format format-check clean

all: build

deps:
	@$(MAKE) --no-print-directory install-packages LIST="$(PACKAGES)"
	@# Debian ships npm separately from nodejs; other node builds bring their own npm.
	@command -v npm > /dev/null || $(MAKE) --no-print-directory install-packages LIST="npm"

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

test: test-plain test-asan test-tsan fuzz-short

test-plain: build
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 300 -j $(JOBS)

# Debug (Q_ASSERT on) at -O1: assertions and sanitizers together, and a faster compile than -O3.
test-asan: deps
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 \
	    -DVOTEDESK_SANITIZE=address,undefined
	cmake --build $(ASAN_DIR) --parallel $(JOBS)
	cd $(ASAN_DIR) && $(SANITIZER_ENV) ctest --output-on-failure --timeout 600 -j $(JOBS) -L 'unit|integration'

test-tsan: deps
	cmake -S . -B $(TSAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 -DVOTEDESK_SANITIZE=thread
	cmake --build $(TSAN_DIR) --parallel $(JOBS) --target $(PIPELINE_TESTS)
	cd $(TSAN_DIR) && $(SANITIZER_ENV) QT_NO_GLIB=1 ctest --output-on-failure --timeout 600 -j $(JOBS) -L pipeline

fuzz-build: deps
	cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
	    -DVOTEDESK_FUZZ=ON -DVOTEDESK_WERROR=OFF
	cmake --build $(FUZZ_DIR) --parallel $(JOBS) --target $(addprefix fuzz_,$(FUZZ_HARNESSES))

fuzz-short: fuzz-build
	@$(MAKE) --no-print-directory fuzz-run FUZZ_TIME=$(FUZZ_SECONDS)

fuzz-long: fuzz-build
	@$(MAKE) --no-print-directory fuzz-run FUZZ_TIME=$(FUZZ_SECONDS_LONG)

# New inputs go to $(FUZZ_DIR)/corpus (kept between runs), never into the source tree; a crash
# is saved under $(FUZZ_DIR)/artifacts and belongs in tests/fuzz/<harness>/ as a regression input.
fuzz-run:
	@for h in $(FUZZ_HARNESSES); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$h $(FUZZ_DIR)/artifacts/$$h; \
	  echo "fuzzing $$h for $(FUZZ_TIME) s"; \
	  if ! $(FUZZ_DIR)/tests/fuzz/fuzz_$$h -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	      -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts/$$h/ \
	      $(FUZZ_DIR)/corpus/$$h tests/fuzz/$$h > $(FUZZ_DIR)/fuzz_$$h.log 2>&1; then \
	    tail -n 60 $(FUZZ_DIR)/fuzz_$$h.log; \
	    echo "fuzz_$$h FAILED: add the input from $(FUZZ_DIR)/artifacts/$$h/ to tests/fuzz/$$h/"; \
	    exit 1; \
	  fi; \
	  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::new_units_added)' $(FUZZ_DIR)/fuzz_$$h.log; \
	done; echo "fuzzing: $(words $(FUZZ_HARNESSES)) passed, 0 failed"

# Reference run against nginx (DESIGN.md §6), the Locust scenario, and a soak run.
# SOAK_SECONDS=600 by default; DURATION (wrk) 10s.
bench: bench-deps build
	bench/run.sh
	bench/locust.sh
	bench/loadgen.sh
	bench/soak.sh
	bench/ui-frames.sh
	bench/faults.sh
	$(MAKE) --no-print-directory fuzz-long

# A .deb for bookworm in build/ (CPack; dependencies from dpkg-shlibdeps).
package: build
	cd $(BUILD_DIR) && cpack -G DEB

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

format-check:
	git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR) $(FUZZ_DIR)
