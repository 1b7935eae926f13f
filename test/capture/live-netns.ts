/**
 * A small lab of network namespaces for the live-capture tests: namespaces, veth pairs, a hub,
 * and bounded UDP traffic sent from inside a namespace. Everything a lab creates is torn down by
 * `close()`; names carry the test process id so parallel test files never collide.
 *
 * Traffic never leaves the lab: senders address made-up neighbours with static ARP entries, and
 * interfaces left in the root namespace (for tests that need /sys in-process) get no address
 * and no IPv6, so the host's own stack neither answers nor forwards anything.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

export function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error}`);
  return r.stdout;
}

export function quiet(cmd: string, args: string[]): void {
  spawnSync(cmd, args, { encoding: 'utf8' });
}

/** Polls `pred` every 20 ms until it holds or `ms` pass; the failure names what was awaited. */
export async function waitFor(pred: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export class NetLab {
  readonly tag = String(process.pid % 1_000_000);
  readonly #namespaces: string[] = [];
  readonly #rootLinks: string[] = [];

  /** A namespace named vg<pid><suffix>, with loopback up. */
  ns(suffix: string): string {
    const name = `vg${this.tag}${suffix}`;
    sh('ip', ['netns', 'add', name]);
    this.#namespaces.push(name);
    sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** Interface name (≤ 15 bytes) for this lab. */
  ifname(suffix: string): string {
    return `v${this.tag}${suffix}`;
  }

  /**
   * A veth pair `a` ↔ `b`; each end moved into its namespace (null: stays in the root namespace,
   * with IPv6 off and no address). Both ends up.
   */
  veth(a: string, nsA: string | null, b: string, nsB: string | null): void {
    sh('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    for (const [dev, ns] of [[a, nsA], [b, nsB]] as const) {
      if (ns) {
        sh('ip', ['link', 'set', dev, 'netns', ns]);
        sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      } else {
        this.#rootLinks.push(dev);
        // No IPv6 in the root namespace end: the host would otherwise send RS/MLD on it.
        writeFileSync(`/proc/sys/net/ipv6/conf/${dev}/disable_ipv6`, '1');
        sh('ip', ['link', 'set', dev, 'up']);
      }
    }
  }

  /** Adds an address and, optionally, a permanent neighbour with a made-up MAC (a sink for traffic). */
  addr(ns: string, dev: string, cidr: string, neighbour?: { ip: string; mac: string }): void {
    sh('ip', ['-n', ns, 'addr', 'add', cidr, 'dev', dev]);
    if (neighbour) sh('ip', ['-n', ns, 'neigh', 'replace', neighbour.ip, 'lladdr', neighbour.mac, 'dev', dev, 'nud', 'permanent']);
  }

  close(): void {
    for (const l of this.#rootLinks) quiet('ip', ['link', 'del', l]);
    for (const n of this.#namespaces) quiet('ip', ['netns', 'del', n]);
  }
}

// Runs inside a namespace: sends COUNT UDP datagrams of SIZE bytes from a fixed port, one every
// INTERVAL ms, or as fast as the socket takes them (INTERVAL 0, batches of 200).
const SENDER = `
const dgram = require('node:dgram');
const [dst, port, count, interval, size, sport] = process.argv.slice(1).map((v, i) => (i === 0 ? v : Number(v)));
const s = dgram.createSocket('udp4');
const b = Buffer.alloc(size, 0x61);
s.bind(sport, () => {
  let n = 0;
  if (interval === 0) {
    const burst = () => {
      for (let i = 0; i < 200 && n < count; i++, n++) s.send(b, port, dst);
      if (n < count) setImmediate(burst); else setTimeout(() => s.close(), 300);
    };
    burst();
    return;
  }
  const one = () => {
    if (n >= count) return s.close();
    s.send(b, port, dst, () => { n++; setTimeout(one, interval); });
  };
  one();
});`;

export interface UdpTraffic {
  dst: string;
  port: number;
  count: number;
  /** ms between datagrams; 0 = flood. */
  intervalMs?: number;
  size?: number;
  srcPort?: number;
}

/** Sends bounded UDP traffic from inside `ns`; resolves when the sender exits. */
export function sendUdp(ns: string, t: UdpTraffic): Promise<void> {
  const args = [t.dst, t.port, t.count, t.intervalMs ?? 1, t.size ?? 32, t.srcPort ?? 40000].map(String);
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SENDER, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`traffic sender in ${ns} failed (${code}): ${err}`));
    });
  });
}
