#!/usr/bin/env bash
# One entry point for developers and CI.
#   ./build.sh test   publish the server once as the Dockerfile does (scripts/publish-like-dockerfile.sh), install what
#                     the tests need, start throwaway PostgreSQL and Redis (scripts/test-services.sh), run every suite
#                     against that one publish, stop the services, print one "N passed, N failed" line
#   ./build.sh run    run the server on its embedded defaults (Development)
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

logs=${TEST_LOG_DIR:-artifacts/test-logs}
results=
published=
services=
cleanup() {
  if [[ -n $services ]]; then TEST_SERVICES_LOG_DIR="$logs" scripts/test-services.sh stop "$services"; fi
  rm -rf "$results" "$published"
}

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

# The server as the image builds it, published once: every suite runs these bits, and the publish is proven from an
# empty NuGet cache. Its own result line, so a failed publish counts even if no suite got as far as noticing.
publish_suite() {
  if scripts/publish-like-dockerfile.sh "$published"; then
    echo "1 passed, 0 failed"
  else
    echo "0 passed, 1 failed"
    return 1
  fi
}

# Throwaway PostgreSQL and Redis on free loopback ports; stopped and deleted on exit, also on failure or Ctrl-C.
# A failed start counts as a failure; the suites still run, and the tests that need the services fail and say why.
start_test_services() {
  services=$(mktemp -d)
  if ! scripts/test-services.sh start "$services"; then
    echo "test-services: could not start PostgreSQL/Redis: counted as 1 failed"
    echo "0 1 0" >>"$results"
  fi
  # Whatever did start is still used (export lines only for services that answered).
  eval "$(scripts/test-services.sh env "$services" 2>/dev/null || true)"
}

test_all() {
  mkdir -p "$logs"
  results=$(mktemp)
  published=$(mktemp -d)
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  run_suite publish publish_suite
  # Set even after a failed publish: the suites then fail on the missing DLL instead of building the server their own way.
  export ABLY_AUTH_SERVER_DLL=$published/AblyAuthServer.dll SMOKE_PUBLISH_DIR=$published
  start_test_services
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
