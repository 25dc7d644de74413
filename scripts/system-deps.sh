#!/usr/bin/env bash
# Installs the Debian packages govbus's tests drive for real (a browser for rendered pages,
# Prometheus's promtool, a Docker engine and debootstrap for the container path, ...). It
# installs only what is missing, and only as root; otherwise it says in one line what to
# install and fails.
set -euo pipefail

# command-to-check  debian-package; a check starting with / is a path glob, for programs Debian
# keeps off PATH (PostgreSQL's server binaries live in /usr/lib/postgresql/<version>/bin) or off
# a normal user's PATH (/usr/sbin).
NEEDS=(
  "chromium chromium"
  "chromedriver chromium-driver"
  "promtool prometheus"
  "/usr/lib/postgresql/*/bin/initdb postgresql"
  "/usr/sbin/dockerd docker.io"
  "/usr/sbin/debootstrap debootstrap"
)

missing=()
for need in "${NEEDS[@]}"; do
  read -r cmd pkg <<<"$need"
  if [[ "$cmd" == /* ]]; then
    compgen -G "$cmd" >/dev/null || missing+=("$pkg")
  else
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  fi
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "govbus tests need these Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The tests start their own PostgreSQL, Prometheus and Docker engine (scripts/docker-engine.sh);
# keep the packages from starting system-wide services during the install.
policy=/usr/sbin/policy-rc.d
created_policy=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=true
fi
trap '$created_policy && rm -f "$policy"' EXIT
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
