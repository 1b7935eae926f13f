#!/bin/sh
# Lets Vigil capture without root (DESIGN rule 10): installs a private copy of tcpdump that carries
# CAP_NET_RAW as a file capability, executable only by the `vigil` group, and adds you to that
# group. The system tcpdump stays as it was, so capturing is not opened to every
# user of the machine. Run it with sudo; running it again changes nothing that is already right.
#
#   sudo scripts/install-capture.sh            # copy + group + you in the group
#   sudo scripts/install-capture.sh --service  # also the `vigil` system user and deploy/vigil.service
#   sudo scripts/install-capture.sh --with-net-admin   # CAP_NET_ADMIN too (not needed to capture,
#                                              # only for features that change interface settings)
#
# Overridable for tests and unusual layouts: VIGIL_GROUP (vigil), VIGIL_HELPER_DIR
# (/usr/local/lib/vigil), VIGIL_TCPDUMP_SRC (tcpdump on PATH), VIGIL_USER (default: the user who
# ran sudo; set it empty to add no one).
set -eu

GROUP="${VIGIL_GROUP:-vigil}"
DIR="${VIGIL_HELPER_DIR:-/usr/local/lib/vigil}"
DEST="$DIR/tcpdump"
TARGET_USER="${VIGIL_USER-${SUDO_USER:-}}"
# CAP_NET_RAW alone opens the interface, promiscuous mode included (libpcap uses the AF_PACKET
# membership, not the IFF_PROMISC ioctl): least privilege by default.
CAPS="cap_net_raw=eip"
SERVICE=0
for arg in "$@"; do
  case "$arg" in
    --service) SERVICE=1 ;;
    --with-net-admin) CAPS="cap_net_admin,cap_net_raw=eip" ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-capture: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { echo "install-capture: $*"; }
die() { echo "install-capture: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root to set file capabilities: run it as 'sudo $0'."

SRC="${VIGIL_TCPDUMP_SRC:-$(command -v tcpdump || true)}"
[ -n "$SRC" ] || for p in /usr/bin/tcpdump /usr/sbin/tcpdump; do [ -x "$p" ] && SRC="$p" && break; done
[ -n "$SRC" ] && [ -x "$SRC" ] || die "tcpdump is not installed: run scripts/setup.sh (or apt install tcpdump) first."

SETCAP="$(command -v setcap || true)"
GETCAP="$(command -v getcap || true)"
for p in /usr/sbin /sbin; do
  [ -n "$SETCAP" ] || { [ -x "$p/setcap" ] && SETCAP="$p/setcap"; }
  [ -n "$GETCAP" ] || { [ -x "$p/getcap" ] && GETCAP="$p/getcap"; }
done
if [ -z "$SETCAP" ] || [ -z "$GETCAP" ]; then
  command -v apt-get >/dev/null 2>&1 || die "setcap is missing: install your distribution's libcap tools (Debian: libcap2-bin)."
  say "installing libcap2-bin (setcap/getcap)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libcap2-bin >/dev/null
  SETCAP=/usr/sbin/setcap
  GETCAP=/usr/sbin/getcap
fi

# 1. The group that may run the helper.
if getent group "$GROUP" >/dev/null; then
  say "group $GROUP exists"
else
  groupadd --system "$GROUP"
  say "created system group $GROUP"
fi

# 2. The private copy: root:GROUP 0750 with the capabilities. Replaced atomically, and only when
#    it differs (a tcpdump upgrade is picked up by running this again).
install -d -o root -g root -m 0755 "$DIR"
caps_ok() { [ "$("$GETCAP" "$DEST" 2>/dev/null | awk '{print $NF}')" = "$CAPS" ]; }
owner_ok() { [ "$(stat -c '%U:%G %a' "$DEST" 2>/dev/null)" = "root:$GROUP 750" ]; }
if [ -f "$DEST" ] && cmp -s "$SRC" "$DEST" && caps_ok && owner_ok; then
  say "$DEST is already installed (root:$GROUP, mode 0750, $CAPS)"
else
  install -o root -g "$GROUP" -m 0750 "$SRC" "$DEST.new"
  "$SETCAP" "$CAPS" "$DEST.new"
  mv -f "$DEST.new" "$DEST"
  caps_ok || die "setcap did not take on $DEST (is $DIR on a filesystem without extended attributes, or mounted nosuid?)."
  say "installed $DEST from $SRC (root:$GROUP, mode 0750, $CAPS)"
fi

# 3. The user who will run Vigil.
if [ -n "$TARGET_USER" ] && [ "$TARGET_USER" != root ]; then
  id "$TARGET_USER" >/dev/null 2>&1 || die "no such user: $TARGET_USER."
  if id -nG "$TARGET_USER" | tr ' ' '\n' | grep -qx "$GROUP"; then
    say "$TARGET_USER is already in group $GROUP"
  else
    usermod -a -G "$GROUP" "$TARGET_USER"
    say "added $TARGET_USER to group $GROUP: log out and back in (or run 'newgrp $GROUP') for it to take effect"
  fi
else
  say "no user added to group $GROUP (run this with sudo from the account that runs Vigil, or set VIGIL_USER)"
fi

# 4. Optionally the service account and unit (the unit uses ambient capabilities, see docs/CAPTURE.md).
if [ "$SERVICE" -eq 1 ]; then
  if id vigil >/dev/null 2>&1; then
    say "system user vigil exists"
  else
    useradd --system --gid "$GROUP" --home-dir /var/lib/vigil --no-create-home --shell /usr/sbin/nologin vigil
    say "created system user vigil"
  fi
  UNIT_SRC="$(cd "$(dirname "$0")/.." && pwd)/deploy/vigil.service"
  install -o root -g root -m 0644 "$UNIT_SRC" /etc/systemd/system/vigil.service
  say "installed /etc/systemd/system/vigil.service (it expects Vigil in /opt/vigil; edit ExecStart otherwise)"
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    say "next: sudo systemctl enable --now vigil"
  fi
fi
say "done; check with: vigil doctor"
