#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis for the test suites, on free 127.0.0.1 ports, with data in one temporary folder.
#   scripts/test-services.sh start DIR   install (Debian packages) when missing, start both, write DIR/env
#   scripts/test-services.sh env DIR     print the export lines (ABLY_AUTH_TEST_POSTGRES, ABLY_AUTH_TEST_REDIS)
#   scripts/test-services.sh stop DIR    stop both and delete DIR (safe to call twice, or after a failed start)
# PostgreSQL runs as the 'postgres' user when started by root (it refuses to run as root), else as the caller.
# TEST_SERVICES_LOG_DIR, when set, receives the servers' logs on stop.
set -euo pipefail

usage() { echo "usage: $0 start|env|stop DIR" >&2; exit 64; }
[[ $# -eq 2 ]] || usage
command=$1 dir=$2

log() { echo "test-services: $*" >&2; }

pg_bin() {
  local bin
  for bin in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x $bin/initdb && -x $bin/pg_ctl ]] && { echo "$bin"; return; }
  done
  if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then dirname "$(command -v pg_ctl)"; fi
}

install_missing() {
  local packages=()
  [[ -n $(pg_bin) ]] || packages+=(postgresql)
  command -v redis-server >/dev/null || packages+=(redis-server)
  [[ ${#packages[@]} -eq 0 ]] && return
  log "installing ${packages[*]} from Debian packages"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { log "need root (or sudo) to install ${packages[*]}"; return 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
}

# shellcheck source=scripts/lib/free-port.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/free-port.sh"

# Runs a command as the PostgreSQL user: 'postgres' when we are root, else ourselves.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin user password port attempt
  bin=$(pg_bin)
  [[ -n $bin ]] || { log "PostgreSQL is not installed"; return 1; }
  mkdir -p "$dir/pg"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir/pg"
  user=ably_test
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  (umask 077; printf '%s\n' "$password" >"$dir/pg/pwfile")
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir/pg/pwfile"
  as_pg "$bin/initdb" -D "$dir/pg/data" -U "$user" --pwfile="$dir/pg/pwfile" --auth=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >"$dir/pg/initdb.log" 2>&1 || { cat "$dir/pg/initdb.log" >&2; return 1; }
  rm -f "$dir/pg/pwfile"
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    # Throwaway data: no fsync; sockets in our folder, TCP on loopback only.
    if as_pg "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 \
      -o "-k $dir/pg -p $port -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null; then
      echo "export ABLY_AUTH_TEST_POSTGRES='Host=127.0.0.1;Port=$port;Username=$user;Password=$password;Database=postgres'" >>"$dir/env"
      log "PostgreSQL $("$bin/postgres" --version | grep -oE '[0-9]+(\.[0-9]+)+' | head -n 1) on 127.0.0.1:$port"
      return
    fi
    log "PostgreSQL did not start on port $port (attempt $attempt)"
  done
  cat "$dir/pg/server.log" >&2 || true
  return 1
}

start_redis() {
  local port attempt pid i reply
  mkdir -p "$dir/redis"
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    # In the background rather than daemonized, with no inherited output, so it never holds the caller's pipes open.
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize no \
      --dir "$dir/redis" --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/server.log" </dev/null >/dev/null 2>&1 &
    pid=$!
    echo "$pid" >"$dir/redis/pid"
    for i in $(seq 1 50); do
      reply=
      if exec 3<>"/dev/tcp/127.0.0.1/$port"; then
        printf 'PING\r\n' >&3
        read -r -t 2 reply <&3 || true
        exec 3>&-
      fi 2>/dev/null
      if [[ ${reply%$'\r'} == "+PONG" ]]; then
        echo "export ABLY_AUTH_TEST_REDIS='127.0.0.1:$port'" >>"$dir/env"
        log "Redis $(redis-server --version | grep -oE 'v=[0-9.]+' | cut -c3-) on 127.0.0.1:$port"
        return
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    log "Redis did not start on port $port (attempt $attempt)"
  done
  cat "$dir/redis/server.log" >&2 || true
  return 1
}

stop_all() {
  [[ -d $dir ]] || return 0
  if [[ -n ${TEST_SERVICES_LOG_DIR:-} ]]; then
    mkdir -p "$TEST_SERVICES_LOG_DIR"
    cp "$dir/pg/server.log" "$TEST_SERVICES_LOG_DIR/postgres.log" 2>/dev/null || true
    cp "$dir/redis/server.log" "$TEST_SERVICES_LOG_DIR/redis.log" 2>/dev/null || true
  fi
  if [[ -f $dir/pg/data/postmaster.pid ]]; then
    as_pg "$(pg_bin)/pg_ctl" -D "$dir/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [[ -f $dir/redis/pid ]]; then
    local pid
    pid=$(cat "$dir/redis/pid")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  rm -rf "$dir"
}

case $command in
  start)
    mkdir -p "$dir"
    chmod 755 "$dir" # the postgres user must reach its folder inside
    (umask 077; : >"$dir/env") # holds the throwaway database password
    install_missing
    start_postgres
    start_redis
    ;;
  env) cat "$dir/env" ;;
  stop) stop_all ;;
  *) usage ;;
esac
