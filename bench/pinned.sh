#!/usr/bin/env bash
# Pinned mode: the server's own cost per request, measured alone on one core against a bare Kestrel app on the same
# core, interleaved in the same run. The server (and the baseline) run under `taskset -c $BENCH_SERVER_CPU`, wrk under
# `taskset -c $BENCH_LOAD_CPU`, so the load generator never steals the measured core.
# Usage: bench/pinned.sh   (bench/run.sh calls it first; see bench/README.md for the knobs)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${BENCH_PINNED_DURATION:-5s}    # per measured row
PAIRS=${BENCH_PINNED_PAIRS:-3}            # baseline/server row pairs per endpoint; the median ratio is reported
CONNECTIONS=${BENCH_CONNECTIONS:-32}
SERVER_CPU=${BENCH_SERVER_CPU:-1}
LOAD_CPU=${BENCH_LOAD_CPU:-0}
SETTLE_MAX=${BENCH_SETTLE_MAX:-36}         # at most this many 5 s warm-up windows per endpoint
SETTLE_JIT=${BENCH_SETTLE_JIT:-10}         # a settled window compiles at most this many methods
STORES_LIST=${BENCH_PINNED_STORES:-sqlite postgres-redis}
OUT=${BENCH_OUT:-$ROOT/artifacts/bench/pinned-$(date -u +%Y%m%dT%H%M%SZ).md}
KEY=${BENCH_ABLY_API_KEY:-$(cat "$ROOT/tests/test-api-key.txt")}
USER_NAME=bench
PASSWORD='correct horse battery staple'

log() { printf '[pinned] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

(($(nproc) >= 2)) || die "pinned mode needs two CPUs (one for the server, one for wrk)"
for tool in wrk curl taskset node python3; do command -v "$tool" >/dev/null || die "$tool is required (bench/run.sh installs wrk)"; done
[[ $KEY == ?*:?* ]] || die "no key: set BENCH_ABLY_API_KEY or restore tests/test-api-key.txt (appId.keyId:secret)"

WORK=$(mktemp -d /tmp/ably-pinned.XXXXXX)
PIDS=()
SERVICES=
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -n $SERVICES ]] && "$ROOT/scripts/test-services.sh" stop "$SERVICES" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=scripts/lib/free-port.sh
source "$ROOT/scripts/lib/free-port.sh"

SERVER_DIR=${BENCH_SERVER_DIR:-}
BASELINE_DIR=${BENCH_BASELINE_DIR:-}
if [[ -z $SERVER_DIR ]]; then
  SERVER_DIR=$WORK/server
  log "publishing src/AblyAuthServer (Release, ReadyToRun as the Dockerfile does)"
  dotnet publish "$ROOT/src/AblyAuthServer" -c Release -o "$SERVER_DIR" --use-current-runtime --self-contained false -p:PublishReadyToRun=true --nologo -v quiet >"$WORK/publish.log" 2>&1 \
    || { cat "$WORK/publish.log" >&2; die "server publish failed"; }
fi
if [[ -z $BASELINE_DIR ]]; then
  BASELINE_DIR=$WORK/baseline
  log "publishing bench/Baseline (Release)"
  dotnet publish "$ROOT/bench/Baseline" -c Release -o "$BASELINE_DIR" --nologo -v quiet >"$WORK/publish-baseline.log" 2>&1 \
    || { cat "$WORK/publish-baseline.log" >&2; die "baseline publish failed"; }
fi

CLK_TCK=$(getconf CLK_TCK)
now_ns() { date +%s%N; }
cpu_ticks() { awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$1/stat"; }
rss_kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
allocated_bytes() {
  # The runtime's own counter of bytes allocated since start (System.Runtime meter), from the metrics port.
  curl -fsS --max-time 2 "http://127.0.0.1:$1/metrics" | awk '/^dotnet_gc_heap_total_allocated_bytes_total/ {n = $2} END {if (n != "") printf "%.0f", n}'
}

wait_ready() {
  local url=$1 pid=$2 log_file=$3 i
  for i in $(seq 1 3000); do
    curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log_file" >&2; die "process exited before $url answered"; }
    sleep 0.01
  done
  cat "$log_file" >&2
  die "$url did not answer within 30 s"
}

# load NAME DURATION URL [wrk args...]: one wrk run on the load CPU into $WORK/NAME.wrk.
load() {
  local name=$1 duration=$2 url=$3
  shift 3
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$duration" --timeout 10s --latency "$@" "$url" >"$WORK/$name.wrk"
}
rps() { awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$WORK/$1.wrk"; }
requests() { awk '/requests in/ {print $1}' "$WORK/$1.wrk"; }
non2xx() { awk '/Non-2xx or 3xx responses:/ {n = $NF} END {print n + 0}' "$WORK/$1.wrk"; }
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }
pct() { to_ms "$(awk -v p="$2%" '$1 == p {print $2}' "$WORK/$1.wrk")"; }

# median VALUE...: the middle of the values, sorted as numbers (the lower middle of an even count).
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }

# jit_methods URL: methods the process has JIT-compiled so far (the server's metrics port, or the baseline's /jit-methods).
jit_methods() {
  curl -fsS --max-time 2 "$1" | awk '/^dotnet_jit_compiled_methods_total/ || /^[0-9]+$/ {n = /^[0-9]+$/ ? $1 : $2} END {printf "%.0f", n}'
}

# settle NAME JIT_URL URL [wrk args...]: 5 s windows until tiered compilation has settled: a window in which the JIT
# compiled at most SETTLE_JIT methods, with req/s within 3 % of the window before. On one busy core, R2R code moves
# through the instrumented tier to tier 1 over a minute or more, and req/s plateaus on the way (it looks settled by
# throughput alone); the JIT count does not. At least three windows, at most SETTLE_MAX.
settle() {
  local name=$1 jit_url=$2 url=$3 previous=0 current i jit_before jit_after compiled
  shift 3
  for ((i = 1; i <= SETTLE_MAX; i++)); do
    jit_before=$(jit_methods "$jit_url")
    load "settle-$name" 5s "$url" "$@"
    jit_after=$(jit_methods "$jit_url")
    current=$(rps "settle-$name")
    compiled=$((jit_after - jit_before))
    if ((i >= 3 && compiled <= SETTLE_JIT)) && awk -v a="$previous" -v b="$current" 'BEGIN { exit !(b > 0 && (a - b) / b < 0.03 && (b - a) / b < 0.03) }'; then
      log "  $name settled after $((i * 5)) s at $current req/s ($compiled methods compiled in the last window)"
      return 0
    fi
    previous=$current
  done
  log "  $name still moving after $((SETTLE_MAX * 5)) s ($current req/s, $compiled methods compiled in the last window); measuring anyway"
}

# measure NAME PID METRICS_PORT URL [wrk args...]: one row; writes "rps p50 p99 cpu_us alloc_bytes rss_mb non2xx".
measure() {
  local name=$1 pid=$2 metrics=$3 url=$4 t0 c0 a0 t1 c1 a1
  shift 4
  t0=$(now_ns) c0=$(cpu_ticks "$pid") a0=${metrics:+$(allocated_bytes "$metrics")}
  load "$name" "$DURATION" "$url" "$@"
  t1=$(now_ns) c1=$(cpu_ticks "$pid") a1=${metrics:+$(allocated_bytes "$metrics")}
  awk -v r="$(requests "$name")" -v c="$((c1 - c0))" -v hz="$CLK_TCK" -v a0="${a0:-}" -v a1="${a1:-}" -v rss="$(rss_kb "$pid" VmHWM)" \
    -v rate="$(rps "$name")" -v p50="$(pct "$name" 50)" -v p99="$(pct "$name" 99)" -v bad="$(non2xx "$name")" \
    'BEGIN { cpu = (r > 0 ? 1e6 * c / hz / r : 0); alloc = (a0 != "" && a1 != "" && r > 0 ? sprintf("%.0f", (a1 - a0) / r) : "-");
             printf "%s %s %s %.1f %s %.1f %s\n", rate, p50, p99, cpu, alloc, rss / 1024, bad }' >"$WORK/$name.row"
}

start_baseline() {
  BASE_PORT=$(free_port)
  (cd "$BASELINE_DIR" && ASPNETCORE_URLS=http://127.0.0.1:$BASE_PORT ASPNETCORE_ENVIRONMENT=Production exec taskset -c "$SERVER_CPU" dotnet Baseline.dll) >"$WORK/baseline.log" 2>&1 &
  BASE_PID=$!
  PIDS+=("$BASE_PID")
  wait_ready "http://127.0.0.1:$BASE_PORT/" "$BASE_PID" "$WORK/baseline.log"
  log "baseline warm-up"
  settle baseline "http://127.0.0.1:$BASE_PORT/jit-methods" "http://127.0.0.1:$BASE_PORT/"
}

ISSUER_OUT=$WORK/issuer.out
node "$ROOT/bench/issuer/issuer.js" bench bench-subject >"$ISSUER_OUT" 2>"$WORK/issuer.log" &
PIDS+=("$!")
for _ in $(seq 1 500); do [[ -s $ISSUER_OUT ]] && break; sleep 0.01; done
read -r ISSUER_URL ISSUER_TOKEN <"$ISSUER_OUT" || die "the bench issuer did not start: $(cat "$WORK/issuer.log")"

ROWS=$WORK/rows.md
: >"$ROWS"
NON_2XX_TOTAL=0

# run_stores STORES: one server process on these stores; every row interleaved with a baseline row.
run_stores() {
  local stores=$1 label db_env=() port metrics url pid cookie session row_name
  case $stores in
    sqlite)
      db_env=("Accounts__ConnectionString=Data Source=$WORK/accounts-$RANDOM.db")
      label="SQLite"
      ;;
    postgres-redis)
      SERVICES=$(mktemp -d /tmp/ably-pinned-services.XXXXXX)
      log "starting throwaway PostgreSQL and Redis on 127.0.0.1 (pinned to CPU $LOAD_CPU with wrk: they serve the server, not the load)"
      "$ROOT/scripts/test-services.sh" start "$SERVICES" >"$WORK/services.log" 2>&1 || { cat "$WORK/services.log" >&2; die "PostgreSQL/Redis did not start"; }
      eval "$("$ROOT/scripts/test-services.sh" env "$SERVICES")"
      # PostgreSQL's processes name their data directory; redis-server retitles itself "redis-server host:port". All threads.
      { pgrep -f "$SERVICES"; pgrep -f "redis-server 127.0.0.1:${ABLY_AUTH_TEST_REDIS##*:}"; } | xargs -r -n1 taskset -apc "$LOAD_CPU" >/dev/null 2>&1 || true
      db_env=(
        "Accounts__Provider=Postgres"
        "Accounts__ConnectionString=${ABLY_AUTH_TEST_POSTGRES/Database=postgres/Database=ablyauth_pinned}"
        "Redis__Configuration=$ABLY_AUTH_TEST_REDIS"
      )
      label="PostgreSQL + Redis"
      ;;
  esac
  port=$(free_port) metrics=$(free_port)
  url=http://127.0.0.1:$port
  local env=(
    "ABLY_API_KEY=$KEY" "${db_env[@]}" "ASPNETCORE_URLS=$url" "ASPNETCORE_ENVIRONMENT=Production"
    "Metrics__Port=$metrics" "Metrics__Host=127.0.0.1"
    # The default production configuration, audit line on; only the per-user token limit is lifted, so that one
    # user's load measures tokens rather than 429s. It is still checked on every request.
    "RateLimiting__Tokens__PerUser__PermitLimit=1000000" "RateLimiting__Tokens__PerUser__Window=00:00:01"
    # Basic hashes per request by design: its row needs the login limits out of the way too.
    "RateLimiting__Login__PerIp__PermitLimit=1000000" "RateLimiting__Login__PerUsername__PermitLimit=1000000"
    "Sessions__CookieSecurePolicy=SameAsRequest"
    "Auth__Issuers__0__Authority=$ISSUER_URL" "Auth__Issuers__0__Audience=bench" "Auth__Issuers__0__Roles__0=member"
    "Auth__Issuers__0__RequireHttpsMetadata=false"
    "${EXTRA_ENV[@]}"
  )
  printf '%s\n' "$PASSWORD" | (cd "$SERVER_DIR" && exec env "${env[@]}" dotnet AblyAuthServer.dll users add "$USER_NAME" --role member) >"$WORK/cli.log" 2>&1 \
    || grep -q 'already exists' "$WORK/cli.log" || { cat "$WORK/cli.log" >&2; die "users add failed"; }
  (cd "$SERVER_DIR" && exec env "${env[@]}" taskset -c "$SERVER_CPU" dotnet AblyAuthServer.dll) >"$WORK/server-$stores-$MODE_NAME.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_ready "$url/readyz" "$pid" "$WORK/server-$stores-$MODE_NAME.log"

  curl -fsS -c "$WORK/cookies" -H 'Content-Type: application/json' \
    -d "$(printf '{"username":"%s","password":"%s"}' "$USER_NAME" "$PASSWORD")" "$url/auth/login" >"$WORK/login.json" || die "login failed"
  session=$(sed -n 's/.*"sessionToken" *: *"\([^"]*\)".*/\1/p' "$WORK/login.json")
  cookie=$(awk '$6 == "ably_session" {print $7}' "$WORK/cookies")
  [[ -n $session && -n $cookie ]] || die "no session token or cookie from /auth/login"

  # name|label|path|header...: every row is checked to answer 200 before it is measured.
  local rows=(
    "token|GET /ably/token, session Bearer|/ably/token|Authorization: Bearer $session"
    "cookie|GET /ably/token, session cookie|/ably/token|Cookie: ably_session=$cookie"
    "token-request|GET /ably/token-request, session Bearer|/ably/token-request|Authorization: Bearer $session"
    "issuer|GET /ably/token, identity-provider Bearer (one RS256 token, remembered after its first verification)|/ably/token|Authorization: Bearer $ISSUER_TOKEN"
  )
  [[ $stores == sqlite && $MODE_NAME == default ]] && rows+=("basic|GET /ably/token, Basic (a password hash per request; no target)|/ably/token|Authorization: Basic $(printf '%s:%s' "$USER_NAME" "$PASSWORD" | base64 -w0)")
  [[ $stores != sqlite || $MODE_NAME != default ]] && rows=("${rows[0]}" "${rows[2]}")

  local entry name row_label path header status
  for entry in "${rows[@]}"; do
    IFS='|' read -r name row_label path header <<<"$entry"
    status=$(curl -sS -o /dev/null -w '%{http_code}' -H "$header" "$url$path")
    [[ $status == 200 ]] || { tail -5 "$WORK/server-$stores-$MODE_NAME.log" >&2; die "$row_label answered $status, not 200"; }
  done

  for entry in "${rows[@]}"; do
    IFS='|' read -r name row_label path header <<<"$entry"
    row_name=$stores-$MODE_NAME-$name
    log "$label, $MODE_NAME: $row_label"
    if [[ $name == basic ]]; then
      load "settle-$row_name" 5s "$url$path" -H "$header"
    else
      settle "$row_name" "http://127.0.0.1:$metrics/metrics" "$url$path" -H "$header"
    fi
    # Pairs of a baseline row and a server row, alternating: the host's drift (its other tenants) falls on a pair's
    # two rows alike, and the pair with the median ratio is the one reported, with the range of all pairs' ratios.
    local pair pairs=$PAIRS bad_all=0 ratios=() p50s=() p99s=() r p50 p99 cpu alloc rss bad br bp50 bp99 bcpu
    [[ $name == basic ]] && pairs=1
    for ((pair = 1; pair <= pairs; pair++)); do
      measure "base-$row_name-$pair" "$BASE_PID" "" "http://127.0.0.1:$BASE_PORT/"
      measure "$row_name-$pair" "$pid" "$metrics" "$url$path" -H "$header"
      read -r r p50 p99 _ _ _ bad <"$WORK/$row_name-$pair.row"
      read -r br _ <"$WORK/base-$row_name-$pair.row"
      bad_all=$((bad_all + bad))
      p50s+=("$p50") p99s+=("$p99")
      ratios+=("$(awk -v a="$r" -v b="$br" 'BEGIN { printf "%.4f", (b > 0 ? a / b : 0) }') $pair")
    done
    local median_pair range ratio
    median_pair=$(median "${ratios[@]}" | awk '{print $2}')
    range=$(printf '%s\n' "${ratios[@]}" | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f–%.2f", lo, hi}')
    for suffix in row wrk; do
      cp "$WORK/$row_name-$median_pair.$suffix" "$WORK/$row_name.$suffix"
      cp "$WORK/base-$row_name-$median_pair.$suffix" "$WORK/base-$row_name.$suffix"
    done
    read -r r _ _ cpu alloc rss _ <"$WORK/$row_name.row"
    read -r br bp50 bp99 bcpu _ <"$WORK/base-$row_name.row"
    bad=$bad_all
    # Latency percentiles are the median of the pairs' own: one 5 s row's p99 rests on a few hundred requests.
    p50=$(median "${p50s[@]}") p99=$(median "${p99s[@]}")
    ratio=$(awk -v a="$r" -v b="$br" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    # Basic may meet the password-check queue's limit at this concurrency: counted in its label, not against the run.
    if [[ $name == basic ]]; then
      ((bad > 0)) && row_label="$row_label, $bad of $(requests "$row_name") answered 429"
    else
      NON_2XX_TOTAL=$((NON_2XX_TOTAL + bad))
    fi
    ((pairs > 1)) || range=
    printf '| %s | %s | %s | %s | %s | **%s**%s | %s / %s | %s | %s | %s | %s |\n' "$label" "$MODE_NAME" "$row_label" "$r" "$br" \
      "$ratio" "${range:+ ($range)}" "$p50" "$p99" "$cpu" "$bcpu" "$alloc" "$rss" >>"$ROWS"
    echo "$name $ratio $p99 $rss" >>"$WORK/verdicts-$stores-$MODE_NAME"
  done
  if [[ $stores == sqlite && $MODE_NAME == default ]]; then
    python3 "$ROOT/bench/lib/rss.py" "$pid" "http://127.0.0.1:$metrics/metrics" >"$WORK/rss.md" 2>&1 || echo "(no breakdown: rss.py failed)" >"$WORK/rss.md"
  fi
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
}

log "server on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU, $CONNECTIONS connections, $DURATION per row"
start_baseline
for stores in $STORES_LIST; do
  MODE_NAME=default EXTRA_ENV=()
  run_stores "$stores"
  if [[ $stores == sqlite ]]; then
    MODE_NAME=revocable EXTRA_ENV=("Ably__Revocable=true" "Ably__RestHost=http://127.0.0.1:9")
    run_stores "$stores"
  fi
done

verdict() { if ((NON_2XX_TOTAL > 0)); then echo INVALID; elif awk "BEGIN { exit !($1) }"; then echo met; else echo MISSED; fi; }
value() { awk -v n="$2" '$1 == n {print $'"$3"'}' "$WORK/verdicts-$1" 2>/dev/null || true; }
tok=$(value sqlite-default token 2) req=$(value sqlite-default token-request 2) iss=$(value sqlite-default issuer 2)
p99=$(value sqlite-default token 3) rss=$(awk '{ if ($4 > m) m = $4 } END { print m + 0 }' "$WORK"/verdicts-sqlite-default 2>/dev/null || true)

{
  echo "## bench/pinned.sh — $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo
  echo "Machine: $(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), ASP.NET Core $(dotnet --list-runtimes | awk '/Microsoft.AspNetCore.App/ {v = $2} END {print v}'), $(uname -sr)."
  echo "Server and bare-Kestrel baseline alone on CPU $SERVER_CPU (\`taskset\`), wrk -t1 -c$CONNECTIONS on CPU $LOAD_CPU; each server row follows its own baseline row,"
  echo "after 5 s warm-up windows until the JIT is quiet (≤ $SETTLE_JIT methods in a window) and req/s agrees within 3 %. Production configuration, audit line on, metrics port on; only the rate limits lifted."
  echo "Each row: $PAIRS alternating pairs of a $DURATION baseline row and a $DURATION server row; shown is the pair with the median ratio, with the range of all pairs' ratios in brackets, and the median of the pairs' p50 and p99 (Basic: one pair)."
  echo
  echo "| stores | mode | row | req/s | baseline req/s | ratio | p50 / p99 ms | server CPU µs/req | baseline µs/req | allocated B/req | VmHWM MB |"
  echo "|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|"
  cat "$ROWS"
  echo
  ((NON_2XX_TOTAL > 0)) && echo "INVALID RUN: $NON_2XX_TOTAL non-2xx responses." && echo
  echo "| target (SQLite, default mode) | value | target | |"
  echo "|---|---:|---|---|"
  echo "| /ably/token (session Bearer) ÷ baseline | $tok | ≥ 0.60 | $(verdict "$tok >= 0.60") |"
  echo "| /ably/token-request ÷ baseline | $req | ≥ 0.55 | $(verdict "$req >= 0.55") |"
  echo "| identity-provider Bearer ÷ baseline | $iss | ≥ 0.50 | $(verdict "$iss >= 0.50") |"
  echo "| /ably/token p99 at $CONNECTIONS connections | $p99 ms | < 5 ms | $(verdict "$p99 < 5") |"
  echo "| peak RSS (VmHWM) | $rss MB | < 150 MB or a breakdown | $(verdict "$rss < 150") |"
  if [[ -f $WORK/rss.md ]]; then
    echo
    echo "Memory of the SQLite server after its rows (\`bench/lib/rss.py\`, from /proc/PID/smaps and the GC's committed size):"
    echo
    cat "$WORK/rss.md"
  fi
} >"$WORK/report.md"

mkdir -p "$(dirname "$OUT")"
cp "$WORK/report.md" "$OUT"
cat "$WORK/report.md"
log "written to $OUT"
