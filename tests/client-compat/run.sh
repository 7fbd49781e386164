#!/usr/bin/env bash
# Client-compatibility suite: real clients (ably-js, jose, headless Chromium, an OpenAPI-generated client) against
# the published server. Installs what it needs, runs `node --test`, and ends with one line
# "N passed, N failed[, N skipped]" from the runner's own summary. Exit code is non-zero on any failure.
#
# Env: ABLY_AUTH_SERVER_DLL=<publish dir>/AblyAuthServer.dll reuses a prebuilt server instead of `dotnet publish`.
#      CLIENT_COMPAT_TIMEOUT (seconds, default 600) bounds the whole run.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
SUITE_TIMEOUT="${CLIENT_COMPAT_TIMEOUT:-600}"
mkdir -p artifacts
TAP_FILE="artifacts/results.tap"

summary_and_exit() { # passed failed skipped exit-code
  if [ "$3" -gt 0 ]; then
    echo "$1 passed, $2 failed, $3 skipped"
  else
    echo "$1 passed, $2 failed"
  fi
  exit "$4"
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

# npm ci only when node_modules is missing or was installed from another lock file.
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp="node_modules/.client-compat-lock.sha256"
if [ ! -d node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then
  echo "== npm ci"
  if ! timeout 600 npm ci --no-audit --no-fund; then
    echo "npm ci failed" >&2
    summary_and_exit 0 1 0 1
  fi
  echo "$lock_hash" > "$stamp"
fi

# Playwright cannot download browsers here; Debian's chromium is the browser.
if [ ! -x /usr/bin/chromium ]; then
  echo "== apt-get install chromium"
  if ! { as_root env DEBIAN_FRONTEND=noninteractive timeout 300 apt-get update -qq &&
         as_root env DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; }; then
    echo "could not install chromium" >&2
    summary_and_exit 0 1 0 1
  fi
fi

echo "== node --test (client-compat)"
rm -f "$TAP_FILE"
# spec for people reading the log, tap to a file for the counts. -k: a run that ignores SIGTERM is killed.
timeout -k 30 "$SUITE_TIMEOUT" node lib/run-suite.js \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$TAP_FILE"
status=$?

# The runner's top-level summary lines (column 0), e.g. "# pass 62"; the last of each wins.
count() { grep -E "^# $1 [0-9]+$" "$TAP_FILE" 2>/dev/null | tail -n 1 | awk '{print $3}'; }
passed="$(count pass)"; failed="$(count fail)"; cancelled="$(count cancelled)"; skipped="$(count skipped)"; todo="$(count todo)"

if [ -z "$passed" ] || [ -z "$failed" ]; then
  echo "the test runner produced no summary (exit $status): global setup failed or the run timed out" >&2
  summary_and_exit "${passed:-0}" "$(( ${failed:-0} + 1 ))" "${skipped:-0}" 1
fi

failed=$(( failed + ${cancelled:-0} ))
skipped=$(( ${skipped:-0} + ${todo:-0} ))
if [ "$failed" -gt 0 ] && [ "$status" -eq 0 ]; then
  status=1
fi
if [ "$failed" -eq 0 ] && [ "$status" -ne 0 ]; then
  # The runner failed without a failing test (e.g. a file that crashed on load): count it.
  failed=1
fi
summary_and_exit "$passed" "$failed" "$skipped" "$status"
