#!/usr/bin/env bash
# Installs what `make run` and `make test` need on a fresh Debian machine: Go modules and
# Debian's kcat (a librdkafka client), prometheus (promtool and a real server) and chromium
# (browser test). Idempotent; quiet when everything is there.
set -euo pipefail
need=()
command -v kcat >/dev/null 2>&1 || need+=(kcat)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
if [ "${STREAMAUDIT_NO_BROWSER:-}" != "1" ]; then
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: need root (or sudo) to install: ${need[*]}" >&2
    exit 1
  fi
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "install-deps: apt-get install ${need[*]}" >&2
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian's prometheus package starts a server on :9090 via systemd where systemd runs;
  # tests start their own on loopback ports, so nothing depends on it.
fi
go mod download
for d in fixtures/*/; do
  [ -f "$d/go.mod" ] && (cd "$d" && go mod download)
done
exit 0
