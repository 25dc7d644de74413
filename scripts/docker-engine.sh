#!/usr/bin/env bash
# A Docker engine for govbus's container tests and the compose stack. `start` runs Debian's
# dockerd (its own data root, pid file and socket) unless the engine at DOCKER_HOST already
# answers, and waits until `docker info` does; `stop` stops only the engine this script
# started; `status` says whether one answers; `host` prints the DOCKER_HOST to use.
#
#   scripts/docker-engine.sh start|stop|status|host
#   export DOCKER_HOST=$(scripts/docker-engine.sh host)
#
# The engine listens on its own socket, not /var/run/docker.sock, so that programs which use
# Docker whenever the default engine answers (`govbus kafka up` with the `auto` backend, for
# one) keep running as before on a machine without Docker Hub. Use a Docker you already run by
# setting DOCKER_HOST to it. Starting needs root (and kernel support); otherwise the script says
# so in one line and exits 3, which the tests read as "skip the container path".
#
# GOVBUS_DOCKER_HOME (default /var/lib/govbus-docker) holds the data root, socket, pid file and
# log. GOVBUS_DOCKER_STORAGE_DRIVER is dockerd's storage driver: by default overlay2 where the
# kernel offers overlayfs on the data root's file system, otherwise vfs, which works everywhere
# but copies a whole image for every container (seconds per container instead of a fraction of
# one). Images are kept per driver.
set -euo pipefail

HOME_DIR=${GOVBUS_DOCKER_HOME:-/var/lib/govbus-docker}
PIDFILE=$HOME_DIR/dockerd.pid
LOG=$HOME_DIR/dockerd.log
SOCKET=unix://$HOME_DIR/docker.sock
STORAGE_DRIVER=${GOVBUS_DOCKER_STORAGE_DRIVER:-}
START_TIMEOUT_S=${GOVBUS_DOCKER_START_TIMEOUT_S:-60}
export DOCKER_HOST=${DOCKER_HOST:-$SOCKET}

answers() { timeout 10 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

# overlay2 needs the overlay file system and a data root that is not itself on one.
default_driver() {
  mkdir -p "$HOME_DIR"
  if grep -qw overlay /proc/filesystems 2>/dev/null &&
    [ "$(stat -f -c %T "$HOME_DIR")" != overlayfs ]; then
    echo overlay2
  else
    echo vfs
  fi
}

launch() {
  setsid dockerd \
    --data-root="$HOME_DIR/data" \
    --exec-root="$HOME_DIR/exec" \
    --pidfile="$PIDFILE" \
    --host="$SOCKET" \
    --storage-driver="$1" \
    --log-level=warn \
    >>"$LOG" 2>&1 </dev/null &
}

our_pid() {
  # The pid in our pid file, if that process is still a dockerd.
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid=$(cat "$PIDFILE")
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && echo "$pid"
}

start() {
  if answers; then
    exit 0
  fi
  if ! command -v docker >/dev/null 2>&1; then
    echo "no docker client on PATH (Debian package docker.io)" >&2
    exit 3
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    echo "no dockerd on PATH (run as root: apt-get install docker.io)" >&2
    exit 3
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "starting a Docker engine needs root; start one yourself or set DOCKER_HOST" >&2
    exit 3
  fi
  mkdir -p "$HOME_DIR/data" "$HOME_DIR/exec"
  if [ "$DOCKER_HOST" != "$SOCKET" ]; then
    echo "no Docker engine answers at DOCKER_HOST=$DOCKER_HOST" >&2
    exit 3
  fi
  local driver=${STORAGE_DRIVER:-$(default_driver)}
  if ! our_pid >/dev/null; then
    launch "$driver"
  fi
  local started=$SECONDS
  until answers; do
    if [ $((SECONDS - started)) -ge "$START_TIMEOUT_S" ]; then
      echo "dockerd did not answer within ${START_TIMEOUT_S} s; its log: $LOG" >&2
      tail -n 5 "$LOG" >&2 || true
      exit 3
    fi
    if ! our_pid >/dev/null && [ $((SECONDS - started)) -gt 5 ]; then
      # The kernel refused overlay mounts after all: vfs needs none.
      if [ "$driver" = overlay2 ] && [ -z "$STORAGE_DRIVER" ]; then
        driver=vfs
        launch vfs
        started=$SECONDS
        continue
      fi
      echo "dockerd exited: $(grep -v '^\s*$' "$LOG" | tail -n 1)" >&2
      exit 3
    fi
    sleep 0.5
  done
}

stop() {
  local pid
  pid=$(our_pid) || exit 0
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    [ -d "/proc/$pid" ] || exit 0
    sleep 0.5
  done
  echo "dockerd (pid $pid) still running after 30 s" >&2
  exit 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  host) echo "$DOCKER_HOST" ;;
  status)
    if answers; then echo "a Docker engine answers"; else echo "no Docker engine answers"; exit 1; fi
    ;;
  *)
    echo "usage: $0 start|stop|status|host" >&2
    exit 2
    ;;
esac
