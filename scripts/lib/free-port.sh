# shellcheck shell=bash
# Sourced by the test and benchmark scripts.
# free_port: prints a TCP port on 127.0.0.1 that nothing listens on now (a race with other starters stays possible:
# callers that start a server retry or fail loudly); returns 1 when none is found.
free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}
