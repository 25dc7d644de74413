#!/usr/bin/env bash
# Builds the images govbus's container tests and docker/compose.local.yaml run, from Debian's
# packages and Maven Central only (no image registry needed):
#
#   govbus/base:bookworm         a minimal Debian bookworm made with debootstrap, then imported
#   govbus/python:3.11-bookworm  Debian's Python 3.11 (docker/python/Dockerfile)
#   govbus/kafka:<version>       Debian's JRE and Kafka's jars (docker/kafka/Dockerfile)
#
#   scripts/docker-images.sh [base|python|kafka|all]     (default all)
#
# Each image carries the hash of its inputs as the label govbus.inputs; an image whose inputs
# did not change is kept, so a second run takes seconds. The engine is the one at DOCKER_HOST
# (scripts/docker-engine.sh host). Building the base needs root (debootstrap).
set -euo pipefail
cd "$(dirname "$0")/.."

export DOCKER_HOST=${DOCKER_HOST:-$(scripts/docker-engine.sh host)}
# The engine's own builder: Debian's docker.io has no buildx plugin, which BuildKit needs.
export DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0}
MIRROR=${GOVBUS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${GOVBUS_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=bookworm
KAFKA_VERSION=$(sed -n 's/^KAFKA_VERSION = "\(.*\)"$/\1/p' bus/broker/local/jars.py)
CACHE_DIR=${GOVBUS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/govbus}
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

BASE_IMAGE=govbus/base:$SUITE
PYTHON_IMAGE=govbus/python:3.11-$SUITE
KAFKA_IMAGE=govbus/kafka:$KAFKA_VERSION

say() { echo "docker-images: $*" >&2; }

# Runs a command with its output kept back, shown (the last lines) only when it fails.
quietly() {
  local log
  log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    rm -f "$log"
    say "failed: $*"
    exit 1
  fi
  rm -f "$log"
}

# The inputs hash an image was built from, or nothing when there is no such image.
built_from() {
  docker image inspect --format '{{index .Config.Labels "govbus.inputs"}}' "$1" 2>/dev/null || true
}

image_id() { docker image inspect --format '{{.Id}}' "$1"; }

# How the base is made; a change here (or of the mirror) builds it anew.
BASE_RECIPE="debootstrap --variant=minbase $SUITE $MIRROR; security $SECURITY_MIRROR; v3"

build_base() {
  local inputs
  inputs=$(printf '%s' "$BASE_RECIPE" | sha256sum | cut -c1-16)
  if [ "$(built_from "$BASE_IMAGE")" = "$inputs" ]; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    say "building $BASE_IMAGE needs root (debootstrap)"
    exit 3
  fi
  command -v debootstrap >/dev/null || { say "debootstrap is missing (apt-get install debootstrap)"; exit 3; }
  local root started=$SECONDS
  root=$(mktemp -d /var/tmp/govbus-base.XXXXXX)
  # shellcheck disable=SC2064 # the folder is known now
  trap "rm -rf '$root' '$root.tar' '$root.log'" EXIT
  say "debootstrap $SUITE (minbase) from $MIRROR"
  debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$root.log" 2>&1 || {
    tail -n 5 "$root.log" >&2
    exit 1
  }
  rm -f "$root.log"
  cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
  # As Debian's slim images: no documentation, manual pages or translations in images, and
  # no recommended packages pulled in by the image builds.
  cat >"$root/etc/dpkg/dpkg.cfg.d/01-govbus-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
    >"$root/etc/apt/apt.conf.d/01-govbus-norecommends"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
  find "$root/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
  chmod 755 "$root"  # the image's / (mktemp made it private)
  # Through a file, so that a failed tar never becomes an empty image with the right label.
  tar -C "$root" --numeric-owner -cf "$root.tar" .
  docker import --change 'CMD ["bash"]' --change "LABEL govbus.inputs=$inputs" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$root.tar" "$BASE_IMAGE" >/dev/null
  rm -rf "$root" "$root.tar"
  trap - EXIT
  say "built $BASE_IMAGE in $((SECONDS - started)) s"
}

# Certificate authorities this machine added to its store (see docker/python/Dockerfile).
LOCAL_CAS=/usr/local/share/ca-certificates

build_python() {
  build_base
  local inputs started=$SECONDS
  inputs=$( (image_id "$BASE_IMAGE"; cat docker/python/Dockerfile;
    find "$LOCAL_CAS" -name '*.crt' -type f 2>/dev/null | sort | xargs -r cat) |
    sha256sum | cut -c1-16)
  if [ "$(built_from "$PYTHON_IMAGE")" = "$inputs" ]; then
    return 0
  fi
  local context
  context=$(mktemp -d)
  # shellcheck disable=SC2064 # the folder is known now
  trap "rm -rf '$context'" EXIT
  cp docker/python/Dockerfile "$context/"
  mkdir "$context/certs"
  find "$LOCAL_CAS" -name '*.crt' -type f -exec cp {} "$context/certs/" \; 2>/dev/null || true
  say "building $PYTHON_IMAGE"
  quietly docker build --label "govbus.inputs=$inputs" \
    --build-arg "BASE_IMAGE=$BASE_IMAGE" --tag "$PYTHON_IMAGE" "$context"
  rm -rf "$context"
  trap - EXIT
  say "built $PYTHON_IMAGE in $((SECONDS - started)) s"
}

# Kafka's jars for the image: the broker (kafka_2.13) and its command-line tools (kafka-tools),
# with log4j as the logging backend, resolved by Maven into govbus's Kafka cache.
kafka_pom() {
  cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>govbus.local</groupId>
  <artifactId>kafka-image</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
EOF
}

build_kafka() {
  build_base
  local inputs started=$SECONDS
  inputs=$( (image_id "$BASE_IMAGE"; kafka_pom;
    tar -C docker/kafka --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -c .) |
    sha256sum | cut -c1-16)
  if [ "$(built_from "$KAFKA_IMAGE")" = "$inputs" ]; then
    return 0
  fi
  command -v mvn >/dev/null || { say "mvn is missing (apt-get install maven)"; exit 3; }
  local context
  context=$(mktemp -d)
  # shellcheck disable=SC2064 # the folder is known now
  trap "rm -rf '$context'" EXIT
  cp -r docker/kafka/. "$context/"
  kafka_pom >"$context/pom.xml"
  mkdir -p "$CACHE_DIR/kafka-$KAFKA_VERSION"
  quietly mvn --batch-mode --quiet -Dstyle.color=never -f "$context/pom.xml" \
    "-Dmaven.repo.local=$CACHE_DIR/kafka-$KAFKA_VERSION/m2" \
    "$DEPENDENCY_PLUGIN:copy-dependencies" "-DoutputDirectory=$context/rootfs/opt/kafka/libs"
  rm "$context/pom.xml"
  say "building $KAFKA_IMAGE"
  quietly docker build --label "govbus.inputs=$inputs" \
    --build-arg "BASE_IMAGE=$BASE_IMAGE" --tag "$KAFKA_IMAGE" "$context"
  rm -rf "$context"
  trap - EXIT
  say "built $KAFKA_IMAGE in $((SECONDS - started)) s"
}

case "${1:-all}" in
  base) build_base ;;
  python) build_python ;;
  kafka) build_kafka ;;
  all) build_python && build_kafka ;;
  *)
    echo "usage: $0 [base|python|kafka|all]" >&2
    exit 2
    ;;
esac
# Images these replaced are kept by nothing; their copies on a vfs engine are large.
docker image prune --force --filter label=govbus.inputs >/dev/null
