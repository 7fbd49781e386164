#!/usr/bin/env bash
# Proves the Dockerfile's contract without a Docker engine, or checks a running container.
#
#   scripts/container-smoke.sh
#       Reads the Dockerfile (restore/publish command lines, runtime base image, ENV), checks the image's .NET version
#       matches the project's TargetFramework, publishes as the Dockerfile's build stage does, from an empty NuGet cache
#       (scripts/publish-like-dockerfile.sh), then runs the output like the image would: as uid $SMOKE_UID (the chiseled
#       image's "app", 1654), configured by environment only, from a root-owned read-only application directory, with
#       only the data directory writable. Then HTTP checks, the users CLI, and SIGTERM → exit code 0.
#   scripts/container-smoke.sh --url http://127.0.0.1:8080 [--container NAME]
#       Only the HTTP checks against a server that is already running. With --container, the users CLI runs through
#       `docker exec NAME` and the SIGTERM check through `docker stop` + `docker inspect`; without it, SMOKE_USER and
#       SMOKE_PASSWORD must name an existing user.
#
# Environment: SMOKE_PUBLISH_DIR (output of scripts/publish-like-dockerfile.sh to use instead of publishing, as build.sh
# passes it; must hold AblyAuthServer.dll), ABLY_API_KEY (default: tests/test-api-key.txt), SMOKE_UID (default 1654),
# SMOKE_USER / SMOKE_PASSWORD, SMOKE_READY_TIMEOUT (s, default 60).
# Binds 127.0.0.1 on a free port; removes its temp dir and stops what it started. Ends with "N passed, N failed".
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
URL=
CONTAINER=
while (($#)); do
  case $1 in
    --url) URL=${2:?--url needs a value}; shift 2 ;;
    --container) CONTAINER=${2:?--container needs a value}; shift 2 ;;
    -h | --help) sed -n '2,18p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

# The test key every suite shares (a throwaway, not a secret); in CI's container job it also reached the container.
KEY=${ABLY_API_KEY:-$(cat "$ROOT/tests/test-api-key.txt" 2>/dev/null)}
if [[ $KEY != ?*:?* ]]; then
  echo "no key: set ABLY_API_KEY or restore tests/test-api-key.txt (appId.keyId:secret)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
KEY_NAME=${KEY%%:*}
SMOKE_UID=${SMOKE_UID:-1654}
SMOKE_USER=${SMOKE_USER:-smoke-$RANDOM}
SMOKE_PASSWORD=${SMOKE_PASSWORD:-smoke test password $RANDOM$RANDOM}
READY_TIMEOUT=${SMOKE_READY_TIMEOUT:-60}

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); printf 'ok   - %s\n' "$1"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL - %s%s\n' "$1" "${2:+ ($2)}"; }
# verdict NAME RC [DETAIL]: one counted check from the exit status of the test just run, e.g. `[[ ... ]]; verdict "x" $?`.
verdict() { if [[ $2 == 0 ]]; then pass "$1"; else fail "$1" "${3:-}"; fi; }
finish() {
  echo "$PASSED passed, $FAILED failed"
  ((FAILED == 0))
  exit
}

WORK=
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  if [[ -n $WORK ]]; then
    chmod -R u+w "$WORK" 2>/dev/null
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=scripts/lib/free-port.sh
source "$ROOT/scripts/lib/free-port.sh"
# shellcheck source=scripts/lib/dockerfile.sh
source "$ROOT/scripts/lib/dockerfile.sh"

b64url_decode() {
  local s
  s=$(printf '%s' "$1" | tr '_-' '/+')
  case $((${#s} % 4)) in 2) s+='==' ;; 3) s+='=' ;; esac
  printf '%s' "$s" | base64 -d 2>/dev/null
}

# ---------------------------------------------------------------------------------------------------------------
# HTTP checks: the part shared by both modes. $1 = base URL; uses CLI_RUN (a function name) to create the user.
# ---------------------------------------------------------------------------------------------------------------
wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT))
  until curl -fsS -o /dev/null --max-time 2 "$1/readyz" 2>/dev/null || curl -fsS -o /dev/null --max-time 2 "$1/healthz" 2>/dev/null; do
    if [[ -n $SERVER_PID ]] && ! kill -0 "$SERVER_PID" 2>/dev/null; then return 1; fi
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# Header helpers over a `curl -D -` dump: status code and one header's value (CR stripped).
status_of() { head -1 <<<"$1" | awk '{print $2}'; }
header_of() { grep -i "^$2:" <<<"$1" | head -1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'; }

http_checks() {
  local base=$1 h body ctype session jwt header payload

  h=$(curl -sS -D - -o /dev/null --max-time 10 "$base/healthz" 2>/dev/null)
  ctype=$(header_of "$h" content-type)
  [[ $(status_of "$h") == 200 && $ctype == text/plain* ]]
  verdict "GET /healthz → 200 text/plain" $? "got $(status_of "$h") '$ctype'"

  h=$(curl -sS -D - -o /dev/null --max-time 10 "$base/readyz" 2>/dev/null)
  ctype=$(header_of "$h" content-type)
  [[ $(status_of "$h") == 200 && $ctype == text/plain* ]]
  verdict "GET /readyz → 200 text/plain" $? "got $(status_of "$h") '$ctype'"

  if declare -F cli_run >/dev/null; then
    printf '%s\n' "$SMOKE_PASSWORD" | cli_run users add "$SMOKE_USER" --role member >"$WORK/cli.log" 2>&1
    verdict "users add $SMOKE_USER --role member (CLI, as the app user) → exit 0" $? "$(tail -5 "$WORK/cli.log" | tr '\n' ' ')"
  fi

  body=$(printf '{"username":"%s","password":"%s"}' "$SMOKE_USER" "$SMOKE_PASSWORD")
  h=$(curl -sS -D - -o "$WORK/login.json" --max-time 10 -H 'Content-Type: application/json' -d "$body" "$base/auth/login" 2>/dev/null)
  session=$(sed -n 's/.*"sessionToken" *: *"\([^"]*\)".*/\1/p' "$WORK/login.json")
  [[ $(status_of "$h") == 200 && -n $session ]]
  verdict "POST /auth/login (JSON) → 200 with a sessionToken" $? "got $(status_of "$h"): $(head -c 300 "$WORK/login.json")"
  header_of "$h" set-cookie | grep -qiE '^ably_session=[^;]+;.*httponly'
  verdict "login sets the ably_session cookie, HttpOnly" $? "$(header_of "$h" set-cookie | cut -c1-40)..."

  h=$(curl -sS -D - -o "$WORK/token" --max-time 10 -H "Authorization: Bearer $session" "$base/ably/token" 2>/dev/null)
  ctype=$(header_of "$h" content-type)
  jwt=$(cat "$WORK/token")
  [[ $(status_of "$h") == 200 ]]
  verdict "GET /ably/token (Bearer) → 200" $? "got $(status_of "$h")"
  [[ ${ctype%%;*} == application/jwt ]]
  verdict "token Content-Type is application/jwt" $? "got '$ctype'"
  [[ $(header_of "$h" cache-control) == *no-store* ]]
  verdict "token response has Cache-Control: no-store" $? "got '$(header_of "$h" cache-control)'"
  [[ $jwt =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]]
  verdict "token has JWT shape (three base64url segments)" $? "$(head -c 80 <<<"$jwt")"
  header=$(b64url_decode "${jwt%%.*}")
  payload=$(b64url_decode "$(cut -d. -f2 <<<"$jwt")")
  [[ $header == *'"alg":"HS256"'* && $header == *"\"kid\":\"$KEY_NAME\""* ]]
  verdict "JWT header: alg HS256, kid $KEY_NAME" $? "$header"
  [[ $payload == *'"iat":'* && $payload == *'"exp":'* && $payload == *'"x-ably-capability":"{'* && $payload == *"\"x-ably-clientId\":\"$SMOKE_USER\""* ]]
  verdict "JWT claims: iat, exp, x-ably-capability as a string, x-ably-clientId $SMOKE_USER" $? "$payload"

  h=$(curl -sS -D - -o "$WORK/token-request.json" --max-time 10 -H "Authorization: Bearer $session" "$base/ably/token-request" 2>/dev/null)
  body=$(cat "$WORK/token-request.json")
  [[ $(status_of "$h") == 200 && $(header_of "$h" content-type) == application/json* && $body == *"\"keyName\":\"$KEY_NAME\""* && $body == *'"mac":"'* && $body == *'"nonce":"'* ]]
  verdict "GET /ably/token-request → 200 application/json TokenRequest (keyName, nonce, mac)" $? "got $(status_of "$h"): $(head -c 200 <<<"$body")"

  h=$(curl -sS -D - -o /dev/null --max-time 10 "$base/ably/token" 2>/dev/null)
  [[ $(status_of "$h") == 401 && $(header_of "$h" content-type) == application/problem+json* ]]
  verdict "GET /ably/token without credentials → 401 problem+json" $? "got $(status_of "$h") '$(header_of "$h" content-type)'"
}

# ---------------------------------------------------------------------------------------------------------------
# Mode 2: an already running server (e.g. the container in CI).
# ---------------------------------------------------------------------------------------------------------------
if [[ -n $URL ]]; then
  WORK=$(mktemp -d /tmp/container-smoke.XXXXXX)
  URL=${URL%/}
  if [[ -n $CONTAINER ]]; then
    cli_run() { docker exec -i "$CONTAINER" dotnet AblyAuthServer.dll "$@"; }
  elif [[ -z ${SMOKE_USER:-} || $SMOKE_USER == smoke-* ]]; then
    echo "note: without --container, set SMOKE_USER/SMOKE_PASSWORD to an existing user" >&2
  fi
  wait_ready "$URL"
  verdict "$URL answers within ${READY_TIMEOUT} s" $? || true
  ((FAILED == 0)) || finish
  http_checks "$URL"
  if [[ -n $CONTAINER ]]; then
    docker stop --time 30 "$CONTAINER" >/dev/null
    code=$(docker inspect -f '{{.State.ExitCode}}' "$CONTAINER")
    [[ $code == 0 ]]
    verdict "SIGTERM (docker stop) → exit code 0" $? "got $code"
  fi
  finish
fi

# ---------------------------------------------------------------------------------------------------------------
# Mode 1: the Dockerfile's build and run, reproduced on this machine.
# ---------------------------------------------------------------------------------------------------------------
DOCKERFILE=$ROOT/Dockerfile
[[ -f $DOCKERFILE ]] || { fail "Dockerfile exists at the repo root"; finish; }
WORK=$(mktemp -d /tmp/container-smoke.XXXXXX)
chmod 755 "$WORK"

instructions=$(dockerfile_instructions "$DOCKERFILE")
restore_cmd=$(grep -E '^RUN dotnet restore ' <<<"$instructions" | head -1 | sed 's/^RUN //')
publish_cmd=$(grep -E '^RUN dotnet publish ' <<<"$instructions" | head -1 | sed 's/^RUN //')
build_image=$(grep -E '^FROM ' <<<"$instructions" | head -1 | awk '{print $2}')
runtime_image=$(grep -E '^FROM ' <<<"$instructions" | tail -1 | awk '{print $2}')
entrypoint=$(grep -E '^ENTRYPOINT ' <<<"$instructions" | tail -1 | sed 's/^ENTRYPOINT *//')
tfm=$(sed -n 's:.*<TargetFramework>\(net[0-9.]*\)</TargetFramework>.*:\1:p' "$ROOT/Directory.Build.props" | head -1)
tfm_version=${tfm#net}
runtime_tag=${runtime_image##*:}
build_tag=${build_image##*:}

echo "Dockerfile: build $build_image, runtime $runtime_image"
echo "  restore: $restore_cmd"
echo "  publish: $publish_cmd"
echo "  entrypoint: $entrypoint; TargetFramework: $tfm"

[[ $runtime_image == mcr.microsoft.com/dotnet/aspnet:* ]]
verdict "runtime stage is the ASP.NET runtime image, not the SDK" $? "$runtime_image"
[[ -n $tfm_version && ( $runtime_tag == "$tfm_version" || $runtime_tag == "$tfm_version"-* ) ]]
verdict "runtime image tag $runtime_tag is .NET $tfm_version (TargetFramework $tfm in Directory.Build.props)" $?
[[ -n $tfm_version && ( $build_tag == "$tfm_version" || $build_tag == "$tfm_version"-* ) ]]
verdict "build image tag $build_tag is .NET $tfm_version" $?
# The last USER of the runtime stage, if any; chiseled images already default to the non-root app user.
runtime_user=$(awk '$1 == "FROM" {u = ""} $1 == "USER" {u = $2} END {print u}' <<<"$instructions")
[[ $runtime_user != root && $runtime_user != 0 && ( $runtime_image == *chiseled* || -n $runtime_user ) ]]
verdict "runtime stage runs as non-root (chiseled default or USER \$APP_UID)" $? "USER '$runtime_user'"
[[ $publish_cmd == *"-c Release"* && $publish_cmd == *--no-restore* && $publish_cmd == *"-o /app"* && -n $restore_cmd ]]
verdict "restore as its own step, then publish -c Release --no-restore -o /app" $? "$publish_cmd"
[[ $(tr -d ' ' <<<"$entrypoint") == '["dotnet","AblyAuthServer.dll"]' ]]
verdict "ENTRYPOINT is exec form [\"dotnet\", \"AblyAuthServer.dll\"]" $? "$entrypoint"
! grep -qiE '^(ENV|ARG|LABEL).*ABLY_API_KEY' <<<"$instructions"
verdict "the image carries no Ably key (it comes from the runtime environment)" $?

# ENV of the runtime stage as NAME=VALUE lines; xargs honours the quotes in `ENV A=1 B="x y"`.
runtime_env=$(awk -v img="$runtime_image" '$1 == "FROM" {on = ($2 == img)} on && $1 == "ENV" {sub(/^ENV +/, ""); print}' <<<"$instructions" |
  xargs -r printf '%s\n')
http_ports=$(sed -n 's/^ASPNETCORE_HTTP_PORTS=//p' <<<"$runtime_env")
connection=$(sed -n 's/^Accounts__ConnectionString=//p' <<<"$runtime_env")
[[ -n $http_ports ]] && grep -qE "^EXPOSE +$http_ports( |$)" <<<"$instructions"
verdict "EXPOSE matches ASPNETCORE_HTTP_PORTS ($http_ports)" $?
[[ $connection == *"Data Source=/data/"* ]] && grep -qE '^VOLUME +\[?"?/data' <<<"$instructions"
verdict "the database lives on the /data volume ($connection)" $?

if [[ -n ${SMOKE_PUBLISH_DIR:-} ]]; then
  # Whoever published it proved the Dockerfile's build; a missing output is their failure, not a reason to publish
  # again some other way.
  if [[ ! -f $SMOKE_PUBLISH_DIR/AblyAuthServer.dll ]]; then
    fail "SMOKE_PUBLISH_DIR holds the published AblyAuthServer.dll" "$SMOKE_PUBLISH_DIR: did the publish fail?"
    finish
  fi
  echo "reusing published output from $SMOKE_PUBLISH_DIR"
  # The copy takes the source directory's own mode (mktemp's 700); in the image, WORKDIR made /app 755.
  mkdir -p "$WORK/app" && cp -a "$SMOKE_PUBLISH_DIR"/. "$WORK/app"/ && chmod 755 "$WORK/app"
  verdict "publish output supplied (SMOKE_PUBLISH_DIR)" $?
else
  echo "running the Dockerfile's build stage: scripts/publish-like-dockerfile.sh $WORK/app"
  if "$ROOT/scripts/publish-like-dockerfile.sh" "$WORK/app" >"$WORK/publish.log" 2>&1; then
    pass "dotnet restore + publish as in the Dockerfile, from an empty NuGet cache"
  else
    tail -20 "$WORK/publish.log"
    fail "dotnet restore + publish as in the Dockerfile, from an empty NuGet cache"
    finish
  fi
fi
[[ -f $WORK/app/AblyAuthServer.dll ]]
verdict "publish output contains the ENTRYPOINT's AblyAuthServer.dll" $?

# The image's filesystem: /app root-owned and read-only, /data owned by the app uid, HOME like the chiseled /home/app.
APP=$WORK/app
DATA=$WORK/data
mkdir -p "$DATA" "$WORK/home"
chmod -R a-w "$APP"
if [[ $(id -u) -eq 0 ]]; then
  chown -R root:root "$APP"
  chown "$SMOKE_UID:$SMOKE_UID" "$DATA" "$WORK/home"
  if command -v setpriv >/dev/null; then
    as_app=(setpriv --reuid="$SMOKE_UID" --regid="$SMOKE_UID" --clear-groups --)
  else
    user=$(getent passwd "$SMOKE_UID" | cut -d: -f1)
    if [[ -z $user ]]; then
      useradd --system --no-create-home --uid "$SMOKE_UID" --shell /usr/sbin/nologin ably-smoke && user=ably-smoke
    fi
    as_app=(runuser -u "$user" --)
  fi
else
  echo "note: not root, so the app runs as $(id -un) (already non-root) and /app cannot be chowned to root"
  as_app=()
fi

PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
# Only the image's environment, with /data mapped to the temp data dir. ASPNETCORE_URLS pins the port to loopback here
# (it overrides ASPNETCORE_HTTP_PORTS, which would bind every interface); in the image HTTP_PORTS=8080 applies.
app_env=(
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  "HOME=$WORK/home"
  "DOTNET_RUNNING_IN_CONTAINER=true"
  "APP_UID=$SMOKE_UID"
  "ABLY_API_KEY=$KEY"
)
while IFS= read -r kv; do
  [[ -n $kv ]] || continue
  app_env+=("${kv//\/data\//$DATA/}")
done <<<"$runtime_env"
app_env+=("ASPNETCORE_URLS=$BASE")
[[ -n ${DOTNET_ROOT:-} ]] && app_env+=("DOTNET_ROOT=$DOTNET_ROOT")

run_as_app() { (cd "$APP" && exec env -i "${app_env[@]}" "${as_app[@]}" "$@"); }
cli_run() { run_as_app dotnet AblyAuthServer.dll "$@"; }

# Writes a probe file as the app user: the one property a read-only app directory must have.
app_can_write() { (cd "$APP" && exec env -i "${app_env[@]}" "${as_app[@]}" sh -c 'touch "$1/.probe" && rm -f "$1/.probe"' _ "$1") 2>/dev/null; }
! app_can_write "$APP"
verdict "the app user cannot write the application directory" $?
app_can_write "$DATA"
verdict "the app user can write the data directory" $?

echo "starting: (cd $APP && env -i <image env> ${as_app[*]} dotnet AblyAuthServer.dll) on $BASE"
start=$SECONDS
touch "$WORK/started"
(cd "$APP" && exec env -i "${app_env[@]}" "${as_app[@]}" dotnet AblyAuthServer.dll) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
if wait_ready "$BASE"; then
  pass "server answers on $BASE within $((SECONDS - start)) s"
else
  fail "server answers on $BASE within ${READY_TIMEOUT} s"
  tail -30 "$WORK/server.log"
  finish
fi
uid=$(awk '/^Uid:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null)
[[ -n $uid && $uid != 0 ]]
verdict "server process runs as a non-root uid ($uid)" $?

http_checks "$BASE"

[[ -f $DATA/accounts.db ]]
verdict "the database was created in the data directory" $?
[[ -z $(find "$APP" -newer "$WORK/started" -print -quit) ]]
verdict "nothing was written to the application directory" $? "$(find "$APP" -newer "$WORK/started" -print -quit)"

kill -TERM "$SERVER_PID"
deadline=$((SECONDS + 30))
while kill -0 "$SERVER_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
if kill -0 "$SERVER_PID" 2>/dev/null; then
  fail "SIGTERM → exit within 30 s"
else
  wait "$SERVER_PID"
  code=$?
  SERVER_PID=
  [[ $code == 0 ]]
  verdict "SIGTERM → graceful exit with code 0" $? "got $code"
fi
if ((FAILED > 0)); then
  echo "--- server log (last 40 lines) ---"
  tail -40 "$WORK/server.log"
fi
finish
