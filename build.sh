#!/usr/bin/env bash
# One entry point for developers and CI.
#   ./build.sh test   install what the tests need, run every suite, print one "N passed, N failed" line
#   ./build.sh run    run the server on its embedded defaults (Development)
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

results=$(mktemp)
logs=${TEST_LOG_DIR:-artifacts/test-logs}
mkdir -p "$logs"
trap 'rm -f "$results"' EXIT

# Runs one suite, tees its output to a log, and records the counts from its closing "N passed, N failed" line.
# A suite that ends without such a line counts as one failure, so a crash can never pass silently.
run_suite() {
  local name=$1; shift
  echo "==> $name"
  local log="$logs/$name.log" status=0
  "$@" 2>&1 | tee "$log" || status=$?
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -n 1 || true)
  if [[ -z "$line" ]]; then
    echo "$name: no result line (exit $status): counted as 1 failed"
    echo "0 1 0" >>"$results"
    return
  fi
  local passed failed skipped
  passed=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
  failed=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
  skipped=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || echo 0)
  if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
  echo "$passed $failed $skipped" >>"$results"
}

# dotnet test (Microsoft.Testing.Platform) prints "total/failed/succeeded/skipped"; restate it as the common line.
dotnet_suite() {
  local log status=0
  log=$(mktemp)
  dotnet test --solution AblyAuthServer.sln -c Release 2>&1 | tee "$log" || status=$?
  local passed failed skipped
  passed=$(grep -E '^\s+succeeded: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+' || echo 0)
  failed=$(grep -E '^\s+failed: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+' || echo 0)
  skipped=$(grep -E '^\s+skipped: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+' || echo 0)
  rm -f "$log"
  if [[ -z "$passed$failed" || ( $status -ne 0 && $failed -eq 0 ) ]]; then failed=$((failed + 1)); fi
  if [[ $skipped -gt 0 ]]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
  return "$status"
}

test_all() {
  run_suite dotnet dotnet_suite
  if [[ -x tests/client-compat/run.sh ]]; then run_suite client-compat tests/client-compat/run.sh; fi
  if [[ -x scripts/container-smoke.sh ]]; then run_suite container-smoke scripts/container-smoke.sh; fi

  local passed=0 failed=0 skipped=0 p f s
  while read -r p f s; do
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  done <"$results"
  if [[ $skipped -gt 0 ]]; then
    echo "$passed passed, $failed failed, $skipped skipped"
  else
    echo "$passed passed, $failed failed"
  fi
  [[ $failed -eq 0 ]]
}

case "${1:-test}" in
  test) test_all ;;
  run) exec dotnet run --project src/AblyAuthServer ;;
  *) echo "usage: ./build.sh [test|run]" >&2; exit 64 ;;
esac
