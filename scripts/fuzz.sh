#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, the `fuzz` preset: clang 14 with ASan and UBSan) and runs each for
# FUZZ_SECONDS (default 60), from seed corpora made of the HTTP conformance cases and sample inputs. Fails on
# any crash, leak, timeout or sanitizer report; the input that caused it is left in build/fuzz/findings/.
# Prints each target's executions. Corpora grow in build/fuzz/corpus/ from run to run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "${JOBS:-$(nproc)}"

corpus=build/fuzz/corpus
findings=build/fuzz/findings
mkdir -p "$corpus" "$findings"
/usr/bin/python3 fuzz/seed_corpora.py "$corpus"

failed=0
summary=""
for target in build/fuzz/*_fuzz; do
  name="$(basename "$target")"
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
           -artifact_prefix="$findings/$name-")
  [ "$name" = http_connection_fuzz ] && options+=(-dict=fuzz/http.dict)
  log="build/fuzz/$name.log"
  echo "fuzz: $name for ${seconds}s"
  if "$target" "${options[@]}" "$corpus/$name" >"$log" 2>&1; then
    runs="$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
    summary+="$(printf '%-24s %12s executions\n' "$name" "$runs")"$'\n'
  else
    failed=1
    summary+="$(printf '%-24s FAILED (see %s)\n' "$name" "$log")"$'\n'
    grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -20 || true
  fi
done
printf '%s' "$summary"
exit "$failed"
