# The two commands a newcomer needs: `make run` and `make test`. Everything else is a convenience.
.PHONY: all deps build run cluster cluster-status cluster-down test test-asan test-tsan fuzz bench format format-check \
        clean config-docs

JOBS ?= $(shell nproc)
# Unity builds compile eight sources at a time: half the time of a cold build. UNITY=OFF compiles file by file,
# which rebuilds less after editing one file.
UNITY ?= ON
export UNITY
KEEL := build/release/keel

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake --preset release -DCMAKE_UNITY_BUILD=$(UNITY) >/dev/null
	@cmake --build --preset release -j $(JOBS)

run: build
	@mkdir -p var
	@$(KEEL) migrate
	@$(KEEL) train property --data data/ames_housing.csv --if-missing
	@$(KEEL) siprems seed --if-empty
	@echo "Keel is starting on http://127.0.0.1:8080 (Ctrl-C stops it): open it in a browser for the console, or try:"
	@echo "  curl -s http://127.0.0.1:8080/health"
	@echo "  curl -s http://127.0.0.1:8080/ready"
	@echo "  curl -s http://127.0.0.1:8080/metrics"
	@echo "  curl -s http://127.0.0.1:8080/api/v1/property/predict -H 'Content-Type: application/json' -d @data/example-house.json"
	@exec $(KEEL) serve

# The scaled-out topology on this machine (PostgreSQL, pgBouncer, Redis, 3 instances, 2 workers, nginx on
# 127.0.0.1:8080), under ./var/cluster; `make cluster-down` stops it.
cluster: build
	@$(KEEL) train property --data data/ames_housing.csv --if-missing
	@$(KEEL) cluster up
	@set -a && . var/cluster/cluster.env && $(KEEL) siprems seed --if-empty

cluster-status:
	@$(KEEL) cluster status

cluster-down:
	@$(KEEL) cluster down

test: build
	@ctest --preset release -j $(JOBS)

test-asan: deps
	@cmake --preset asan -DCMAKE_UNITY_BUILD=$(UNITY) >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan -j $(JOBS)

test-tsan: deps
	@cmake --preset tsan -DCMAKE_UNITY_BUILD=$(UNITY) >/dev/null
	@cmake --build --preset tsan -j $(JOBS)
	@ctest --preset tsan -j $(JOBS)

# The libFuzzer targets (fuzz/), each for FUZZ_SECONDS (default 60); fails on any crash, leak or sanitizer report.
fuzz: deps
	@bash scripts/fuzz.sh

bench: build
	@bash bench/run-per-core.sh
	@bash bench/run.sh
	@bash bench/run.sh --threads 2
	@bash bench/run-tasks.sh
	@bash bench/run-jobs.sh
	@bash bench/run-predict.sh
	@bash bench/run-onnx.sh
	@bash bench/run-prediction-stats.sh --postgres
	@bash bench/run-startup.sh
	@bash bench/run-console.sh
	@bash bench/run-idle-connections.sh
	@bash bench/run-cluster.sh
	@bash bench/run-redis-topologies.sh
	@bash bench/run-jobs-cluster.sh
	@bash bench/run-models.sh
	@bash bench/run-ingest.sh
	@bash bench/run-ingest-cluster.sh
	@bash bench/run-image2model.sh
	@bash bench/run-locust-image2model.sh
	@bash bench/run-siprems.sh
	@bash bench/run-siprems-cluster.sh
	@bash bench/run-locust.sh

format:
	@find src fuzz bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format-14 -i

format-check:
	@find src fuzz bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format-14 --dry-run -Werror

clean:
	@rm -rf build

# Regenerates the key table of docs/config.md from the schema (a unit test fails while they disagree).
config-docs: build
	@sed -i '/^## Keys$$/,$$d' docs/config.md
	@printf '## Keys\n\n' >> docs/config.md
	@$(KEEL) config docs >> docs/config.md
