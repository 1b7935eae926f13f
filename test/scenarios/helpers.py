#!/usr/bin/env python3
"""Small stdlib-only programs the scenario generator runs inside its namespaces.

  helpers.py serve NTP_ADDR             the "internet" services in vs-inet: HTTP on :80 and :8080
                                        (GET answers a small page, PUT/POST swallows the body and
                                        answers 201) and an NTP-like responder on NTP_ADDR:123
  helpers.py telnet-login HOST USER PW  one scripted telnet login, a command, logout
  helpers.py ntp-query HOST [N]         N NTP client requests (mode 3, 48 bytes) one second apart
  helpers.py label OUT.json NAME FILE TOOL DESCRIPTION BENIGN CONFIG_JSON EXPECT_JSON
                                        one scenario's label
  helpers.py merge LABELS.json GENERATOR PARTS_DIR
                                        labels.json: the labels just made replace those of the same
                                        name, the others are kept (a partial re-run keeps the rest)

Kept to the standard library: the generator must run on a machine with only Debian packages.
"""
import datetime
import json
import os
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so curl's "Expect: 100-continue" on uploads is answered like a real server does.
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet: the capture is the record
        pass

    def _reply(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        body = b"<html><body><h1>It works</h1><p>" + self.path.encode()[:80] + b"</p></body></html>\n"
        self._reply(200, body)

    def do_HEAD(self):
        self.do_GET()

    def _swallow(self):
        left = int(self.headers.get("Content-Length") or 0)
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 16))
            if not chunk:
                break
            left -= len(chunk)
        self._reply(201, b"stored\n")

    do_PUT = _swallow
    do_POST = _swallow


def ntp_server(addr):
    # bound to its own address: a socket on 0.0.0.0 would answer from the route's source address
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 123))
    while True:
        data, peer = s.recvfrom(512)
        if len(data) < 48:
            continue
        now = time.time() + 2208988800  # NTP era 0
        sec, frac = int(now), int((now % 1) * (1 << 32))
        # LI 0, version 4, mode 4 (server), stratum 2; originate = the client's transmit time
        reply = struct.pack("!BBbb", 0x24, 2, 6, -20) + struct.pack("!II", 0, 0) + b"GPS\x00"
        reply += struct.pack("!II", sec, frac) + data[40:48] + struct.pack("!IIII", sec, frac, sec, frac)
        s.sendto(reply, peer)


def serve(ntp_addr):
    threading.Thread(target=ntp_server, args=(ntp_addr,), daemon=True).start()
    servers = [ThreadingHTTPServer(("0.0.0.0", port), Handler) for port in (80, 8080)]
    for srv in servers[1:]:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    servers[0].serve_forever()


def telnet_login(host, user, password):
    import warnings
    warnings.simplefilter("ignore")
    import telnetlib  # deprecated in 3.11, still shipped by Debian 12's python3

    t = telnetlib.Telnet(host, 23, timeout=20)
    t.read_until(b"login: ", 20)
    t.write(user.encode() + b"\n")
    t.read_until(b"assword: ", 20)
    t.write(password.encode() + b"\n")
    out = t.read_until(b"$ ", 20)
    if b"$ " not in out:
        sys.exit("telnet-login: no shell prompt after the password: " + out.decode(errors="replace"))
    t.write(b"uname -a; id; ls /\n")
    time.sleep(1)
    t.write(b"exit\n")
    t.read_all()
    t.close()


def ntp_query(host, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    for i in range(n):
        now = time.time() + 2208988800
        pkt = struct.pack("!B", 0x23) + b"\x00" * 39 + struct.pack("!II", int(now), int((now % 1) * (1 << 32)))
        s.sendto(pkt, (host, 123))
        try:
            s.recvfrom(512)
        except socket.timeout:
            sys.exit("ntp-query: no answer from " + host)
        if i + 1 < n:
            time.sleep(1)


def label(out, name, file, tool, description, benign, config, expect):
    entry = {
        "name": name,
        "file": file,
        "tool": tool,
        "description": description,
        "benign": benign == "true",
        "config": json.loads(config),
        "expect": json.loads(expect),
        "recorded": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    with open(out, "w") as f:
        json.dump(entry, f, indent=2)


def merge(labels_path, generator, parts_dir, order):
    old = []
    if os.path.exists(labels_path):
        with open(labels_path) as f:
            old = json.load(f).get("scenarios", [])
    by_name = {e["name"]: e for e in old}
    for part in sorted(os.listdir(parts_dir)):
        with open(os.path.join(parts_dir, part)) as f:
            e = json.load(f)
        by_name[e["name"]] = e
    rank = {n: i for i, n in enumerate(order)}
    scenarios = sorted(by_name.values(), key=lambda e: (rank.get(e["name"], len(rank)), e["name"]))
    doc = {
        "generator": generator,
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "scenarios": scenarios,
    }
    with open(labels_path + ".tmp", "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(labels_path + ".tmp", labels_path)


def main(argv):
    if not argv:
        sys.exit(__doc__)
    cmd, args = argv[0], argv[1:]
    if cmd == "serve":
        serve(args[0])
    elif cmd == "telnet-login":
        telnet_login(*args)
    elif cmd == "ntp-query":
        ntp_query(args[0], int(args[1]) if len(args) > 1 else 3)
    elif cmd == "label":
        label(*args)
    elif cmd == "merge":
        merge(args[0], args[1], args[2], args[3:])
    else:
        sys.exit("helpers.py: unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
