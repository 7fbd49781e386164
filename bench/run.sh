#!/usr/bin/env bash
# Load benchmark of the published server against a bare Kestrel baseline.
# Usage: bench/run.sh            (see bench/README.md for the knobs)
# Everything binds 127.0.0.1 on free ports; every wrk run is bounded by BENCH_DURATION; temp files are removed on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${BENCH_DURATION:-10s}          # per measured scenario
WARMUP=${BENCH_WARMUP:-5s}               # unmeasured run before each scenario (pools, caches); 0 to skip
# The first load after start runs while the tiered JIT recompiles the hot path (R2R -> instrumented -> tier 1): on two
# shared cores that takes ~10-12 s, at a third of the steady rate. Each process gets this much load before its first
# measured scenario; the token scenario's part of it is reported as its own row ("cold").
INITIAL_WARMUP=${BENCH_INITIAL_WARMUP:-15s}
STORES=${BENCH_STORES:-sqlite}           # sqlite | postgres-redis (throwaway servers from scripts/test-services.sh)
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
MIX_LOGIN_CONNECTIONS=${BENCH_MIX_LOGIN_CONNECTIONS:-$CONNECTIONS}
TIMEOUT=${BENCH_TIMEOUT:-10s}            # wrk per-request timeout: long enough that slow logins count as latency, not errors
OUT=${BENCH_OUT:-$ROOT/artifacts/bench/results-$(date -u +%Y%m%dT%H%M%SZ).md}
# The test key the suites share (a throwaway, not a secret).
KEY=${BENCH_ABLY_API_KEY:-$(cat "$ROOT/tests/test-api-key.txt")}
export BENCH_USER=bench
export BENCH_PASSWORD='correct horse battery staple'

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if ! command -v wrk >/dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing wrk"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    die "wrk is not installed (Debian: apt-get install wrk)"
  fi
fi
command -v curl >/dev/null || die "curl is required"
[[ $KEY == ?*:?* ]] || die "no key: set BENCH_ABLY_API_KEY or restore tests/test-api-key.txt (appId.keyId:secret)"

WORK=$(mktemp -d /tmp/ably-bench.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  [[ -n ${SERVICES:-} ]] && "$ROOT/scripts/test-services.sh" stop "$SERVICES"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=scripts/lib/free-port.sh
source "$ROOT/scripts/lib/free-port.sh"

now_ns() { date +%s%N; }

# Percent of CPU time not idle over one second, machine-wide (other builds/tests on this machine skew every number).
cpu_busy_pct() {
  local a b
  a=($(head -1 /proc/stat)) && sleep 1 && b=($(head -1 /proc/stat))
  awk -v a="${a[*]}" -v b="${b[*]}" 'BEGIN { n = split(a, x, " "); split(b, y, " "); for (i = 2; i <= n; i++) { t += y[i] - x[i] } ;
    idle = (y[5] - x[5]) + (y[6] - x[6]); printf "%.0f", (t > 0 ? 100 * (t - idle) / t : 0) }'
}

# Waits up to BENCH_IDLE_WAIT seconds (default 120) for the machine to be mostly idle; the report records what it saw.
wait_for_quiet() {
  local waited=0 busy
  busy=$(cpu_busy_pct)
  while ((busy > 15 && waited < ${BENCH_IDLE_WAIT:-120})); do
    log "machine is ${busy}% busy before the run; waiting for it to settle"
    sleep 4
    waited=$((waited + 5))
    busy=$(cpu_busy_pct)
  done
  echo "$busy"
}

# --- build ------------------------------------------------------------------------------------------------------
SERVER_DIR=${BENCH_SERVER_DIR:-$WORK/server}
BASELINE_DIR=$WORK/baseline
if [[ -z ${BENCH_SERVER_DIR:-} ]]; then
  log "publishing src/AblyAuthServer (Release)"
  # As the Dockerfile publishes it: ReadyToRun for this machine's runtime.
  dotnet publish "$ROOT/src/AblyAuthServer" -c Release -o "$SERVER_DIR" --use-current-runtime --self-contained false -p:PublishReadyToRun=true --nologo -v quiet >"$WORK/publish-server.log" 2>&1 \
    || { cat "$WORK/publish-server.log" >&2; die "server publish failed"; }
fi
log "publishing bench/Baseline (Release)"
dotnet publish "$ROOT/bench/Baseline" -c Release -o "$BASELINE_DIR" --nologo -v quiet >"$WORK/publish-baseline.log" 2>&1 \
  || { cat "$WORK/publish-baseline.log" >&2; die "baseline publish failed"; }

# --- pinned mode first: the server alone on one core ---------------------------------------------------------------
MODE=${BENCH_MODE:-all}                   # all (pinned, then shared) | pinned | shared
case $MODE in all | pinned | shared) ;; *) die "BENCH_MODE must be all, pinned or shared, not '$MODE'" ;; esac
if [[ $MODE != shared ]]; then
  BENCH_SERVER_DIR=$SERVER_DIR BENCH_BASELINE_DIR=$BASELINE_DIR BENCH_OUT=$WORK/pinned.md "$ROOT/bench/pinned.sh"
  if [[ $MODE == pinned ]]; then
    mkdir -p "$(dirname "$OUT")" && cp "$WORK/pinned.md" "$OUT" && log "written to $OUT"
    exit 0
  fi
fi

# --- stores -----------------------------------------------------------------------------------------------------
DATA=$WORK/data
mkdir -p "$DATA"
case $STORES in
  sqlite)
    store_env=("Accounts__ConnectionString=Data Source=$DATA/accounts.db")
    STORES_LABEL="SQLite file, in-memory limits and logouts"
    ;;
  postgres-redis)
    log "starting throwaway PostgreSQL and Redis on 127.0.0.1"
    # Not inside $WORK (mode 700): the postgres user must reach its data folder.
    SERVICES=$(mktemp -d /tmp/ably-bench-services.XXXXXX)
    "$ROOT/scripts/test-services.sh" start "$SERVICES" >"$WORK/services.log" 2>&1 || { cat "$WORK/services.log" >&2; die "PostgreSQL/Redis did not start"; }
    eval "$("$ROOT/scripts/test-services.sh" env "$SERVICES")"
    store_env=(
      "Accounts__Provider=Postgres"
      "Accounts__ConnectionString=${ABLY_AUTH_TEST_POSTGRES/Database=postgres/Database=ablyauth_bench}"
      "Redis__Configuration=$ABLY_AUTH_TEST_REDIS"
    )
    STORES_LABEL="PostgreSQL $(psql --version 2>/dev/null | awk '{print $3}') accounts and Redis $(redis-server --version | grep -oE 'v=[0-9.]+' | cut -c3-) limits, logouts and token-limit counters (both on 127.0.0.1)"
    ;;
  *) die "BENCH_STORES must be sqlite or postgres-redis, not '$STORES'" ;;
esac

# --- server -----------------------------------------------------------------------------------------------------
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
server_env=(
  "ABLY_API_KEY=$KEY"
  "${store_env[@]}"
  "ASPNETCORE_URLS=$URL"
  # One user from one address: the rate limits would answer most requests with 429 and measure that instead.
  # With them lifted every login really hashes, which is what "logins saturate" must show.
  "RateLimiting__Login__PerIp__PermitLimit=1000000"
  "RateLimiting__Login__PerUsername__PermitLimit=1000000"
  "RateLimiting__Tokens__PerUser__PermitLimit=1000000"
  "RateLimiting__Tokens__PerUser__Window=00:00:01" # a million per second: still checked on every request, never reached
  "ASPNETCORE_ENVIRONMENT=Production"
  "Sessions__CookieSecurePolicy=SameAsRequest"
)

SERVER_PID=
# Starts the server and sets READY_MS to the time from fork to the first 200 from /readyz (polled every ~10 ms).
start_server() {
  local log_file=$1 start elapsed
  start=$(now_ns)
  # Run from the publish dir like the container's WORKDIR /app: the content root (appsettings.json) is the cwd.
  (cd "$SERVER_DIR" && exec env "${server_env[@]}" dotnet AblyAuthServer.dll) >"$log_file" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  until curl -fsS -o /dev/null --max-time 1 "$URL/readyz" 2>/dev/null; do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log_file" >&2; die "server exited before /readyz answered"; }
    elapsed=$((($(now_ns) - start) / 1000000))
    ((elapsed < 30000)) || { cat "$log_file" >&2; die "server not ready after 30 s"; }
    sleep 0.01
  done
  READY_MS=$((($(now_ns) - start) / 1000000))
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

log "starting server on $URL (fresh database)"
start_server "$WORK/server-1.log"
READY_FRESH_MS=$READY_MS

log "creating user '$BENCH_USER' with the CLI"
printf '%s\n' "$BENCH_PASSWORD" | (cd "$SERVER_DIR" && exec env "${server_env[@]}" dotnet AblyAuthServer.dll users add "$BENCH_USER" --role member) \
  >"$WORK/cli.log" 2>&1 || { cat "$WORK/cli.log" >&2; die "users add failed"; }

# Restart so the measured process starts like a production restart (existing database) and its peak RSS covers only this run.
stop_server
log "restarting server (existing database)"
start_server "$WORK/server-2.log"
READY_WARM_MS=$READY_MS

login_body=$(printf '{"username":"%s","password":"%s"}' "$BENCH_USER" "$BENCH_PASSWORD")
login_json=$(curl -fsS -H 'Content-Type: application/json' -d "$login_body" "$URL/auth/login") || die "login failed"
SESSION=$(printf '%s' "$login_json" | sed -n 's/.*"sessionToken" *: *"\([^"]*\)".*/\1/p')
[[ -n $SESSION ]] || die "no sessionToken in login response: $login_json"

for path in /ably/token /ably/token-request; do
  status=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SESSION" "$URL$path")
  [[ $status == 200 ]] || die "GET $path with the session answered $status, not 200"
done

# --- load -------------------------------------------------------------------------------------------------------
BUSY_BEFORE=$(wait_for_quiet)
log "machine ${BUSY_BEFORE}% busy (other processes) before load"
CLK_TCK=$(getconf CLK_TCK)
proc_ticks() { awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$1/stat"; }  # utime + stime of one process
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }  # machine-wide non-idle
# CHILD_CPU = CPU seconds of this shell's reaped children (wrk, curl, ...), from the `times` builtin, which must run in
# this shell (not in a $(...) subshell).
children_cpu() { times >"$WORK/times"; CHILD_CPU=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, "m"); s += t[1] * 60 + t[2] } print s }' "$WORK/times"); }

# cpu_begin / cpu_end NAME PID: the CPU the target process, wrk (this shell's children) and everything else on the
# machine used in between, as average cores busy, into $WORK/NAME.cpu.
cpu_begin() { C_T0=$(now_ns) C_P0=$(proc_ticks "$1") C_M0=$(busy_ticks); children_cpu; C_W0=$CHILD_CPU; }
cpu_end() {
  local name=$1 pid=$2 w1
  children_cpu
  w1=$CHILD_CPU
  awk -v s="$(($(now_ns) - C_T0))" -v p="$(($(proc_ticks "$pid") - C_P0))" -v m="$(($(busy_ticks) - C_M0))" -v w="$(awk -v a="$C_W0" -v b="$w1" 'BEGIN { print b - a }')" -v hz="$CLK_TCK" \
    'BEGIN { wall = s / 1e9; server = p / hz / wall; machine = m / hz / wall; load = w / wall; other = machine - server - load;
      printf "%.2f %.2f %.2f %.2f\n", server, load, (other < 0 ? 0 : other), machine }' >"$WORK/$name.cpu"
}

# wrk_run NAME PID URL [extra wrk args...]: warm-up (unmeasured), then the measured run into $WORK/NAME.wrk.
wrk_run() {
  local name=$1 pid=$2 url=$3
  shift 3
  if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" --timeout "$TIMEOUT" "$@" "$url" >/dev/null
  fi
  log "scenario $name: $CONNECTIONS connections, $THREADS threads, $DURATION"
  cpu_begin "$pid"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout "$TIMEOUT" --latency "$@" "$url" >"$WORK/$name.wrk"
  cpu_end "$name" "$pid"
}

# Samples a process's VmRSS every 200 ms until the flag file disappears; writes the peak (kB) to $WORK/rss-peak.
# Builtins only (no awk per sample), so the sampler does not show up as load; VmHWM remains the exact peak.
rss_sampler() {
  local pid=$1 peak=0 key value
  while [[ -e $WORK/sampling ]]; do
    while read -r key value _; do
      if [[ $key == VmRSS: ]]; then ((value > peak)) && peak=$value; break; fi
    done <"/proc/$pid/status" 2>/dev/null
    sleep 0.2
  done
  echo "$peak" >"$WORK/rss-peak"
}
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

auth=(-H "Authorization: Bearer $SESSION")
log "initial warm-up: $INITIAL_WARMUP of GET /ably/token (the 'cold' row), then the same of /ably/token-request"
cpu_begin "$SERVER_PID"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$INITIAL_WARMUP" --timeout "$TIMEOUT" --latency "${auth[@]}" "$URL/ably/token" >"$WORK/cold.wrk"
cpu_end cold "$SERVER_PID"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$INITIAL_WARMUP" --timeout "$TIMEOUT" "${auth[@]}" "$URL/ably/token-request" >/dev/null
touch "$WORK/sampling"
rss_sampler "$SERVER_PID" &
SAMPLER_PID=$!
PIDS+=("$SAMPLER_PID")
wrk_run token "$SERVER_PID" "$URL/ably/token" "${auth[@]}"
wrk_run token-request "$SERVER_PID" "$URL/ably/token-request" "${auth[@]}"
rm -f "$WORK/sampling"
wait "$SAMPLER_PID" || true
RSS_SAMPLED_KB=$(cat "$WORK/rss-peak")
# VmHWM = the kernel's own peak resident set since exec: startup + both token scenarios, nothing else yet.
RSS_HWM_KB=$(hwm_kb "$SERVER_PID")

wrk_run login "$SERVER_PID" "$URL/auth/login" -s "$ROOT/bench/login.lua"

log "scenario token-under-login: two wrk at once, $DURATION"
cpu_begin "$SERVER_PID"
wrk -t"$THREADS" -c"$MIX_LOGIN_CONNECTIONS" -d"$DURATION" --timeout "$TIMEOUT" --latency -s "$ROOT/bench/login.lua" \
  "$URL/auth/login" >"$WORK/mix-login.wrk" &
MIX_PID=$!
PIDS+=("$MIX_PID")
sleep 1 # let logins saturate the CPUs before tokens are measured
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout "$TIMEOUT" --latency "${auth[@]}" "$URL/ably/token" >"$WORK/mix-token.wrk"
wait "$MIX_PID"
cpu_end mix-login "$SERVER_PID"
echo "- - - -" >"$WORK/mix-token.cpu"
RSS_HWM_END_KB=$(hwm_kb "$SERVER_PID")
stop_server

BASE_PORT=$(free_port)
log "starting baseline on 127.0.0.1:$BASE_PORT"
start=$(now_ns)
(cd "$BASELINE_DIR" && ASPNETCORE_URLS=http://127.0.0.1:$BASE_PORT ASPNETCORE_ENVIRONMENT=Production exec dotnet Baseline.dll) >"$WORK/baseline.log" 2>&1 &
BASE_PID=$!
PIDS+=("$BASE_PID")
for _ in $(seq 1 3000); do
  curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$BASE_PORT/" 2>/dev/null && break
  sleep 0.01
done
BASE_READY_MS=$((($(now_ns) - start) / 1000000))
log "baseline warm-up: $INITIAL_WARMUP"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$INITIAL_WARMUP" --timeout "$TIMEOUT" "http://127.0.0.1:$BASE_PORT/" >/dev/null
wrk_run baseline "$BASE_PID" "http://127.0.0.1:$BASE_PORT/"
BASE_HWM_KB=$(hwm_kb "$BASE_PID")
kill -TERM "$BASE_PID"
wait "$BASE_PID" 2>/dev/null || true

# --- report -----------------------------------------------------------------------------------------------------
# wrk prints latencies as 812.00us / 1.23ms / 2.01s; normalise to milliseconds.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }
rps() { awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$WORK/$1.wrk"; }
pct() { to_ms "$(awk -v p="$2%" '$1 == p {print $2}' "$WORK/$1.wrk")"; }
non2xx() { awk '/Non-2xx or 3xx responses:/ {n = $NF} END {print n + 0}' "$WORK/$1.wrk"; }
errors() { awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10; found = 1} END {if (!found) print 0}' "$WORK/$1.wrk"; }
total() { awk '/requests in/ {print $1}' "$WORK/$1.wrk"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b > 0 ? 100 * a / b : 0) }'; }
# verdict 'A < B': awk evaluates the numeric comparison.
# Numbers from error responses say nothing about the product: any non-2xx in a product scenario voids every verdict.
verdict() {
  if ((NON_2XX_TOTAL > 0)); then echo INVALID; elif awk "BEGIN { exit !($1) }"; then echo met; else echo MISSED; fi
}

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
mem=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
dotnet_version=$(dotnet --list-runtimes | awk '/Microsoft.AspNetCore.App/ {v = $2} END {print v}')
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)

NON_2XX_TOTAL=0
for s in cold token token-request login mix-token mix-login; do NON_2XX_TOTAL=$((NON_2XX_TOTAL + $(non2xx $s))); done
tok_rps=$(rps token) req_rps=$(rps token-request) base_rps=$(rps baseline)
tok_ratio=$(ratio "$tok_rps" "$base_rps") req_ratio=$(ratio "$req_rps" "$base_rps")
tok_p99=$(pct token 99) req_p99=$(pct token-request 99) mix_p99=$(pct mix-token 99)
rss_mb=$(awk -v k="$RSS_HWM_KB" 'BEGIN { printf "%.1f", k / 1024 }')

{
  echo "## bench/run.sh — $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $commit"
  echo
  echo "Machine: $(nproc) CPUs ($cpu), $mem RAM, ASP.NET Core runtime $dotnet_version, $(uname -sr)."
  echo "Stores: $STORES_LABEL."
  echo "Load: wrk $CONNECTIONS connections, $THREADS threads, $DURATION per scenario after a $WARMUP warm-up (each process first gets $INITIAL_WARMUP per endpoint); wrk runs on the same $(nproc) CPUs as the server."
  echo "Other activity: the machine was ${BUSY_BEFORE}% busy in the second before the load started$( ((BUSY_BEFORE > 15)) && echo ' — numbers are pessimistic, rerun on a quiet machine')."
  echo
  echo "| scenario | requests | req/s | p50 ms | p99 ms | non-2xx | socket errors | server CPU (cores) | server CPU µs/req | wrk CPU (cores) | other processes (cores) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for s in cold token token-request login baseline mix-token mix-login; do
    case $s in
      cold) label="GET /ably/token, first $INITIAL_WARMUP after start (cold: JIT tiering)" ;;
      token) label='GET /ably/token (Bearer)' ;;
      token-request) label='GET /ably/token-request (Bearer)' ;;
      login) label='POST /auth/login (JSON)' ;;
      baseline) label='baseline GET / (bench/Baseline)' ;;
      mix-token) label='GET /ably/token while logins saturate' ;;
      mix-login) label="  the concurrent logins ($MIX_LOGIN_CONNECTIONS connections)" ;;
    esac
    read -r server_cores wrk_cores other_cores _ <"$WORK/$s.cpu"
    per_req=$(awk -v c="$server_cores" -v r="$(rps $s)" 'BEGIN { if (c == "-" || r == 0) print "-"; else printf "%.0f", 1e6 * c / r }')
    [[ $s == mix-login ]] && per_req=-
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$(total $s)" "$(rps $s)" "$(pct $s 50)" "$(pct $s 99)" \
      "$(non2xx $s)" "$(errors $s)" "$server_cores" "$per_req" "$wrk_cores" "$other_cores"
  done
  echo
  ((NON_2XX_TOTAL > 0)) && echo "INVALID RUN: $NON_2XX_TOTAL non-2xx responses in the product scenarios (rate limits? failed logins?)." && echo
  echo "| measure | value | target | |"
  echo "|---|---:|---|---|"
  echo "| /ably/token req/s vs baseline | ${tok_ratio} % | ≥ 60 % | $(verdict "$tok_ratio >= 60") |"
  echo "| /ably/token-request req/s vs baseline | ${req_ratio} % | ≥ 60 % | $(verdict "$req_ratio >= 60") |"
  echo "| /ably/token p99 | $tok_p99 ms | < 5 ms | $(verdict "$tok_p99 < 5") |"
  echo "| /ably/token-request p99 | $req_p99 ms | < 5 ms | $(verdict "$req_p99 < 5") |"
  echo "| peak RSS under token load (VmHWM) | $rss_mb MB | < 150 MB | $(verdict "$rss_mb < 150") |"
  echo "| start → first 200 from /readyz (existing DB) | $READY_WARM_MS ms | < 1500 ms | $(verdict "$READY_WARM_MS < 1500") |"
  echo "| start → first 200 from /readyz (fresh DB) | $READY_FRESH_MS ms | < 1500 ms | $(verdict "$READY_FRESH_MS < 1500") |"
  echo "| (reference) baseline app start → first 200 | $BASE_READY_MS ms | | |"
  echo "| (reference) baseline app VmHWM after its load | $(awk -v k="$BASE_HWM_KB" 'BEGIN { printf "%.1f", k / 1024 }') MB | | |"
  echo "| /ably/token p99 while logins saturate | $mix_p99 ms | < 20 ms | $(verdict "$mix_p99 < 20") |"
  echo
  echo "RSS detail: VmRSS sampled every 200 ms during the token scenarios peaked at $(awk -v k="$RSS_SAMPLED_KB" 'BEGIN { printf "%.1f", k / 1024 }') MB;"
  echo "CPU columns are average cores busy over the measured run (2.00 = both cores): the server process (utime+stime), wrk, and"
  echo "everything else on the machine (other builds/tests: non-zero there means the run was disturbed). The mixed scenario's CPU"
  echo "is on the logins row and covers both wrk runs together."
  echo "VmHWM after the login scenarios too: $(awk -v k="$RSS_HWM_END_KB" 'BEGIN { printf "%.1f", k / 1024 }') MB. Ready time is polled with curl every ~10 ms (resolution ~15 ms)."
} >"$WORK/report.md"

if [[ -f $WORK/pinned.md ]]; then
  { cat "$WORK/pinned.md"; echo; echo "### Shared mode: wrk and the server on the same $(nproc) CPUs"; echo; cat "$WORK/report.md"; } >"$WORK/full.md"
  mv "$WORK/full.md" "$WORK/report.md"
fi
mkdir -p "$(dirname "$OUT")"
cp "$WORK/report.md" "$OUT"
if [[ -n ${BENCH_RAW_DIR:-} ]]; then
  mkdir -p "$BENCH_RAW_DIR" && cp "$WORK"/*.wrk "$WORK"/*.log "$BENCH_RAW_DIR"/
fi
cat "$WORK/report.md"
log "written to $OUT"
