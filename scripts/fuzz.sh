#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, the `fuzz` preset: clang 14 with ASan and UBSan) and runs each for
# FUZZ_SECONDS (default 60), from seed corpora made of the HTTP conformance cases and sample inputs. Fails on
# any crash, leak, timeout or sanitizer report; the input that caused it is left in build/fuzz/findings/.
# Runs as many targets at once as there are cores. Prints each target's executions. Corpora grow in
# build/fuzz/corpus/ from run to run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"

cmake --preset fuzz -DCMAKE_UNITY_BUILD="${UNITY:-ON}" >/dev/null
cmake --build --preset fuzz -j "${JOBS:-$(nproc)}"

corpus=build/fuzz/corpus
findings=build/fuzz/findings
mkdir -p "$corpus" "$findings"
/usr/bin/python3 fuzz/seed_corpora.py "$corpus"

# Runs one target; its line of the summary goes to build/fuzz/<name>.result.
run_target() {
  local target="$1" name log options
  name="$(basename "$target")"
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
           -artifact_prefix="$findings/$name-")
  [ "$name" = http_connection_fuzz ] && options+=(-dict=fuzz/http.dict)
  log="build/fuzz/$name.log"
  if "$target" "${options[@]}" "$corpus/$name" >"$log" 2>&1; then
    runs="$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
    printf '%-24s %12s executions\n' "$name" "$runs" >"build/fuzz/$name.result"
  else
    printf '%-24s FAILED (see %s)\n' "$name" "$log" >"build/fuzz/$name.result"
    grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -20 || true
  fi
}

# One target per core at a time: each is single-threaded.
parallel="${JOBS:-$(nproc)}"
running=0
for target in build/fuzz/*_fuzz; do
  echo "fuzz: $(basename "$target") for ${seconds}s"
  run_target "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    wait -n || true  # each target's outcome is in its .result file
    running=$((running - 1))
  fi
done
wait || true

failed=0
for target in build/fuzz/*_fuzz; do
  result="build/fuzz/$(basename "$target").result"
  cat "$result"
  grep -q FAILED "$result" && failed=1
done
exit "$failed"
