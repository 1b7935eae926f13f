#!/bin/sh
# Installs every tool test/scenarios/generate.sh drives (Debian 12 packages), non-interactively.
# Idempotent: packages already present are skipped. Leaves no daemon running or enabled: a
# policy-rc.d that refuses every start is in place during the install (the generator starts its
# own daemons inside network namespaces), and any unit the packages enabled is disabled again.
#
#   sudo bash scripts/install-scenario-tools.sh
set -eu
export DEBIAN_FRONTEND=noninteractive

say() { echo "install-scenario-tools: $*"; }
die() { echo "install-scenario-tools: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (apt-get): run it as 'sudo bash $0'."
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script is for Debian/Ubuntu."

# The packages; then the binaries the generator calls, checked after the install (a missing one fails
# loudly). net-tools: iodine and iodined configure their tun device with ifconfig.
PKGS="nmap masscan hydra hping3 dsniff iodine openssh-server openssh-client vsftpd busybox dnsmasq-base udhcpc curl tcpdump iproute2 socat ncat python3 procps
net-tools ethtool openssl"
BINS="nmap masscan hydra hping3 arpspoof iodine iodined sshd vsftpd busybox dnsmasq udhcpc curl
tcpdump ip socat ncat python3 ssh ifconfig ethtool openssl"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

if [ -n "$missing" ]; then
  say "installing:$missing"
  # No service may start from a maintainer script (exit 101 = action forbidden).
  had_policy=0
  [ -e /usr/sbin/policy-rc.d ] && had_policy=1 && cp -p /usr/sbin/policy-rc.d /usr/sbin/policy-rc.d.vigil-save
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
  restore() {
    if [ "$had_policy" -eq 1 ]; then mv -f /usr/sbin/policy-rc.d.vigil-save /usr/sbin/policy-rc.d
    else rm -f /usr/sbin/policy-rc.d; fi
  }
  trap restore EXIT
  apt-get update -qq || say "apt-get update failed; trying with the lists already present"
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
  restore
  trap - EXIT
else
  say "all packages already installed"
fi

# Services these packages ship: never left enabled or running (the generator runs its own copies).
for unit in ssh.service ssh.socket vsftpd.service inetutils-inetd.service inetd.service \
            dnsmasq.service iodined.service; do
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now "$unit" >/dev/null 2>&1 || true
  elif command -v update-rc.d >/dev/null 2>&1; then
    name="${unit%.*}"
    [ -e "/etc/init.d/$name" ] && { "/etc/init.d/$name" stop >/dev/null 2>&1 || true; update-rc.d "$name" disable >/dev/null 2>&1 || true; }
  fi
done

# busybox telnetd: the telnet server of real IoT devices, and one hydra's telnet module talks to
# reliably (inetutils telnetd waits on option negotiation hydra leaves unanswered). Debian's
# busybox has no telnetd applet; busybox-static has, but replaces the system busybox, so the
# generator gets a private copy of its binary instead and the system busybox stays as it is.
BB_DIR=/usr/local/lib/vigil-scenarios
if [ -x "$BB_DIR/busybox" ] && "$BB_DIR/busybox" --list 2>/dev/null | grep -qx telnetd; then
  say "$BB_DIR/busybox (static, with telnetd) already present"
else
  tmp="$(mktemp -d)"
  ( cd "$tmp" && chmod 0777 . && apt-get download -qq busybox-static >/dev/null 2>&1 ) \
    || { apt-get update -qq && ( cd "$tmp" && apt-get download -qq busybox-static >/dev/null 2>&1 ); } \
    || die "could not download busybox-static with apt-get download."
  dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/x"
  install -d -m 0755 "$BB_DIR"
  install -m 0755 "$tmp/x/bin/busybox" "$BB_DIR/busybox"
  rm -rf "$tmp"
  say "installed $BB_DIR/busybox from busybox-static (telnetd, login)"
fi

fail=0
"$BB_DIR/busybox" --list | grep -qx telnetd || { echo "install-scenario-tools: MISSING: busybox telnetd" >&2; fail=1; }
for b in $BINS; do
  if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$b" >/dev/null 2>&1; then
    echo "install-scenario-tools: MISSING after install: $b" >&2; fail=1
  fi
done
[ "$fail" -eq 0 ] || die "some tools are missing (see above)."
say "done: all scenario tools present"
