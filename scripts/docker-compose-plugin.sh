#!/usr/bin/env bash
# Installs Docker Compose v2 as the docker CLI plugin (`docker compose`), built from its Go
# module (github.com/docker/compose/v2, pinned below) with the local Go toolchain, for machines
# where Debian offers only Compose v1. Does nothing when a Compose v2 plugin already answers.
# A first build takes about four minutes on two cores; Go's caches make later ones quick.
#
#   scripts/docker-compose-plugin.sh
#
# GOVBUS_COMPOSE_PLUGIN_DIR (default /usr/local/lib/docker/cli-plugins, where both Debian's and
# Docker's clients look) is where the plugin goes.
set -euo pipefail

VERSION=v2.40.3
MODULE=github.com/docker/compose/v2
PLUGIN_DIR=${GOVBUS_COMPOSE_PLUGIN_DIR:-/usr/local/lib/docker/cli-plugins}

if docker compose version --short 2>/dev/null | grep -q '^v\?2\.'; then
  exit 0
fi
GO=$(command -v go || echo /usr/local/go/bin/go)
if [ ! -x "$GO" ]; then
  echo "building Docker Compose needs Go (https://go.dev/doc/install, or Debian's golang)" >&2
  exit 3
fi
if ! mkdir -p "$PLUGIN_DIR" 2>/dev/null || [ ! -w "$PLUGIN_DIR" ]; then
  echo "cannot write $PLUGIN_DIR: run as root, or set GOVBUS_COMPOSE_PLUGIN_DIR=~/.docker/cli-plugins" >&2
  exit 3
fi
echo "building Docker Compose $VERSION from the Go module proxy (first time: a few minutes)" >&2
# `go install module@version` refuses modules whose go.mod has exclude directives, as Compose's
# has; building inside the downloaded module uses its go.mod and go.sum exactly as released.
source_dir=$("$GO" mod download -json "$MODULE@$VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
(
  cd "$source_dir"
  CGO_ENABLED=0 GOFLAGS=-buildvcs=false "$GO" build -trimpath \
    -ldflags "-s -w -X $MODULE/internal.Version=$VERSION" -o "$PLUGIN_DIR/docker-compose.partial" ./cmd
)
mv "$PLUGIN_DIR/docker-compose.partial" "$PLUGIN_DIR/docker-compose"
docker compose version >&2
