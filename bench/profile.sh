#!/usr/bin/env bash
# A CPU profile of one token path, as pinned mode runs it: the server alone on one core under wrk on the other,
# sampled by perf (managed frames named through DOTNET_PerfMapEnabled), folded, and summarised as the share of
# samples each stage of the pipeline holds (inclusive).
# Usage: bench/profile.sh [path] [header|cookie]   default: /ably/token with a session Bearer; "cookie" sends the
#        session as the session cookie instead
# Output: artifacts/bench/profile-<time>.folded (for flamegraph tools) and .md (the summary); BENCH_PROFILE_SECONDS (15).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PATH_UNDER_TEST=${1:-/ably/token}
SECONDS_SAMPLED=${BENCH_PROFILE_SECONDS:-15}
SERVER_CPU=${BENCH_SERVER_CPU:-1}
LOAD_CPU=${BENCH_LOAD_CPU:-0}
KEY=${BENCH_ABLY_API_KEY:-$(cat "$ROOT/tests/test-api-key.txt")}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${BENCH_OUT:-$ROOT/artifacts/bench/profile-$STAMP}
log() { printf '[profile] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
for tool in perf wrk curl taskset python3; do command -v "$tool" >/dev/null || die "$tool is required (Debian: linux-perf, wrk)"; done

WORK=$(mktemp -d /tmp/ably-profile.XXXXXX)
PID=
cleanup() {
  if [[ -n $PID ]]; then kill "$PID" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$WORK" "/tmp/perf-$PID.map" "/tmp/perfinfo-$PID.map"
}
trap cleanup EXIT
# shellcheck source=scripts/lib/free-port.sh
source "$ROOT/scripts/lib/free-port.sh"

SERVER_DIR=${BENCH_SERVER_DIR:-$WORK/server}
if [[ -z ${BENCH_SERVER_DIR:-} ]]; then
  log "publishing src/AblyAuthServer"
  dotnet publish "$ROOT/src/AblyAuthServer" -c Release -o "$SERVER_DIR" --use-current-runtime --self-contained false -p:PublishReadyToRun=true --nologo -v quiet >"$WORK/publish.log" 2>&1 \
    || { cat "$WORK/publish.log" >&2; die "publish failed"; }
fi

PORT=$(free_port) METRICS=$(free_port)
URL=http://127.0.0.1:$PORT
env_vars=(
  "ABLY_API_KEY=$KEY" "Accounts__ConnectionString=Data Source=$WORK/accounts.db" "ASPNETCORE_URLS=$URL" "ASPNETCORE_ENVIRONMENT=Production"
  "RateLimiting__Tokens__PerUser__PermitLimit=1000000" "RateLimiting__Tokens__PerUser__Window=00:00:01" "Sessions__CookieSecurePolicy=SameAsRequest"
  "Metrics__Port=$METRICS" "Metrics__Host=127.0.0.1"
  # perf names JIT-compiled frames from the perf map; with W^X on, it sees only an anonymous double mapping.
  "DOTNET_PerfMapEnabled=1" "DOTNET_EnableWriteXorExecute=0"
)
printf 'correct horse battery staple\n' | (cd "$SERVER_DIR" && exec env "${env_vars[@]}" dotnet AblyAuthServer.dll users add bench --role member) >"$WORK/cli.log" 2>&1 \
  || { cat "$WORK/cli.log" >&2; die "users add failed"; }
(cd "$SERVER_DIR" && exec env "${env_vars[@]}" taskset -c "$SERVER_CPU" dotnet AblyAuthServer.dll) >"$WORK/server.log" 2>&1 &
PID=$!
until curl -fsS -o /dev/null --max-time 1 "$URL/readyz" 2>/dev/null; do kill -0 "$PID" || die "server exited"; sleep 0.05; done
SESSION=$(curl -fsS -H 'Content-Type: application/json' -d '{"username":"bench","password":"correct horse battery staple"}' "$URL/auth/login" \
  | sed -n 's/.*"sessionToken" *: *"\([^"]*\)".*/\1/p')
case ${2:-} in
  "") HEADER="Authorization: Bearer $SESSION" ;;
  cookie) HEADER="Cookie: ably_session=$SESSION" ;;
  *) HEADER=$2 ;;
esac
[[ $(curl -sS -o /dev/null -w '%{http_code}' -H "$HEADER" "$URL$PATH_UNDER_TEST") == 200 ]] || die "$PATH_UNDER_TEST did not answer 200"

# Sampled too early, the profile shows the instrumented tier's probes rather than the server: warm until a 5 s window
# compiles at most 10 methods (at most 3 minutes).
jit_methods() { curl -fsS --max-time 2 "http://127.0.0.1:$METRICS/metrics" | awk '/^dotnet_jit_compiled_methods_total/ {n = $2} END {printf "%.0f", n}'; }
log "warming $PATH_UNDER_TEST until tiered compilation settles"
for ((i = 1; i <= 36; i++)); do
  before=$(jit_methods)
  taskset -c "$LOAD_CPU" wrk -t1 -c32 -d5s -H "$HEADER" "$URL$PATH_UNDER_TEST" >/dev/null
  compiled=$(($(jit_methods) - before))
  ((i >= 4 && compiled <= 10)) && break
done
log "  warmed for $((i * 5)) s ($compiled methods compiled in the last 5 s)"
log "sampling $SECONDS_SAMPLED s under load"
taskset -c "$LOAD_CPU" wrk -t1 -c32 -d"$((SECONDS_SAMPLED + 4))s" -H "$HEADER" "$URL$PATH_UNDER_TEST" >"$WORK/wrk.txt" &
LOAD_PID=$!
sleep 2
perf record -q -e cpu-clock -F 1999 -g -p "$PID" -o "$WORK/perf.data" -- sleep "$SECONDS_SAMPLED" 2>/dev/null
wait "$LOAD_PID" || true
perf script -i "$WORK/perf.data" 2>/dev/null >"$WORK/perf.txt"

mkdir -p "$(dirname "$OUT")"
python3 "$ROOT/bench/lib/fold.py" "$WORK/perf.txt" "$OUT.folded" >"$OUT.md"
{ echo; echo "Load: $(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.txt") req/s on $PATH_UNDER_TEST, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)."; } >>"$OUT.md"
cat "$OUT.md"
log "written to $OUT.md and $OUT.folded"
