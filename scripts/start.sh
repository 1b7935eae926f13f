#!/usr/bin/env bash
# Sets Vigil up and starts the live sensor on the interface of the default route (Ctrl-C stops it).
#   scripts/start.sh [vigil run options]      e.g. scripts/start.sh -i eth1
# Vigil runs as you; only the capture helper (a private copy of tcpdump) gets CAP_NET_RAW, through
# scripts/install-capture.sh (which asks for sudo once). The database is ./data/vigil.db.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
# Heap flags: see src/sensor/runtime.ts (SENSOR_NODE_FLAGS; a test keeps the copies in sync).
RUN=(node --max-old-space-size=128 --max-semi-space-size=8 dist/src/cli/main.js run "$@")

if [ "$(id -u)" -eq 0 ]; then
  # A root shell (a container, a CI machine): capture works as is; Vigil prints a warning, and
  # docs/CAPTURE.md shows how to run it as the unprivileged `vigil` user under systemd.
  exec "${RUN[@]}"
fi

sudo scripts/install-capture.sh
if id -nG | tr ' ' '\n' | grep -qx vigil; then
  exec "${RUN[@]}"
fi
# Joining the group takes effect at the next login; sg grants it to this one command now.
printf -v CMD '%q ' "${RUN[@]}"
exec sg vigil -c "$CMD"
