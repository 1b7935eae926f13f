#!/usr/bin/env bash
# Installs what Vigil needs on Debian 12 / Raspberry Pi OS and builds it.
#   scripts/setup.sh          system packages (capture helper, compiler for the SQLite addon, tshark,
#                             dnsmasq and udhcpc for tests) + npm deps + build
# Safe to run again: every step is idempotent. Needs root (or sudo) for apt-get only.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need_pkgs=()
command -v tcpdump >/dev/null 2>&1 || need_pkgs+=(tcpdump)
command -v tshark >/dev/null 2>&1 || need_pkgs+=(tshark)
command -v tcpreplay >/dev/null 2>&1 || need_pkgs+=(tcpreplay)
command -v capinfos >/dev/null 2>&1 || need_pkgs+=(wireshark-common)
command -v gcc >/dev/null 2>&1 || need_pkgs+=(gcc)
[ -x /usr/bin/time ] || need_pkgs+=(time)
command -v ip >/dev/null 2>&1 || need_pkgs+=(iproute2)
command -v node >/dev/null 2>&1 || need_pkgs+=(nodejs npm)
# Native addon (better-sqlite3) is compiled from source when no prebuilt binary can be fetched.
command -v make >/dev/null 2>&1 || need_pkgs+=(make)
command -v g++ >/dev/null 2>&1 || need_pkgs+=(g++)
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
command -v setcap >/dev/null 2>&1 || [ -x /usr/sbin/setcap ] || [ -x /sbin/setcap ] || need_pkgs+=(libcap2-bin)
# The end-to-end tests build a small LAN of network namespaces with a real DHCP/DNS server and clients.
[ -x /usr/sbin/dnsmasq ] || need_pkgs+=(dnsmasq-base)
command -v udhcpc >/dev/null 2>&1 || [ -x /sbin/udhcpc ] || [ -x /usr/sbin/udhcpc ] || need_pkgs+=(udhcpc)

if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer no (Vigil uses its own helper setup).
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections || true
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: Vigil needs Node.js 20 or newer; this machine has $(node --version). Install a newer Node.js (e.g. from NodeSource) and run this again." >&2
  exit 1
fi

echo "setup: installing npm dependencies"
npm ci --no-audit --no-fund --loglevel=error
echo "setup: building"
npm run -s build
echo "setup: done"
