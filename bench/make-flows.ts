/**
 * Writes a pcap of N distinct TCP flows, one SYN each (a scan-like load that maximises flow-table
 * pressure), for the benchmark's memory check. Written as it is generated through a 4 MiB buffer,
 * so memory stays flat whatever N.
 *
 * Flow i: source 10.0.0.0/8 + a bijective 24-bit mix of i (so every source address, hence every
 * 5-tuple, is distinct), pseudo-random source port, destination 172.16.0.0/12 + pseudo-random 20
 * bits, destination port drawn from common service ports or at random. IPv4 and TCP checksums are
 * correct. Packet time: bursts of `burst` packets at `rate` packets/s separated by `gap` seconds of
 * silence, so with the default 30 s SYN timeout and a 262,144-flow cap, flows are both evicted
 * (inside a burst) and expired (across a gap).
 *
 * Usage: node dist/bench/make-flows.js [-o FILE] [--flows N] [--rate PPS] [--burst N] [--gap S] [--seed N]
 *   defaults: -o $BENCH_DIR/flows-N.pcap (BENCH_DIR default /tmp/vigil-bench), --flows 1200000,
 *   --rate 20000, --burst 400000, --gap 45, --seed 1
 */
import { closeSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export interface MakeFlowsOptions {
  flows: number;
  rate: number;
  burst: number;
  gap: number;
  seed: number;
}

export const DEFAULT_FLOWS: MakeFlowsOptions = { flows: 1_200_000, rate: 20_000, burst: 400_000, gap: 45, seed: 1 };

const T0 = 1_700_000_000;
const ETH = 14;
const IP = 20;
const TCP = 24; // 20 + MSS option
const FRAME = ETH + IP + TCP;
const REC = 16 + FRAME;
const PORTS = [22, 23, 80, 443, 445, 502, 1883, 3389, 8080, 8443, 20000, 44818];

function ipChecksum(b: Buffer, off: number, len: number, init = 0): number {
  let s = init;
  for (let i = 0; i < len; i += 2) s += (b[off + i] << 8) | b[off + i + 1];
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Bijection on 24 bits (odd multiplier, xor-shift): distinct i give distinct results. */
function mix24(i: number): number {
  let x = Math.imul(i, 0x9e3779) & 0xffffff;
  x ^= x >>> 12;
  x = Math.imul(x, 0x5bd1e5) & 0xffffff; // odd: invertible mod 2^24
  x ^= x >>> 11;
  return x;
}

/** Writes the capture to `file` (via a temporary name, renamed when complete). Returns bytes written. */
export function makeFlows(file: string, o: MakeFlowsOptions): number {
  if (!Number.isInteger(o.flows) || o.flows < 1 || o.flows > 0xfffffe) throw new Error("--flows must be 1 to 16777214");
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  const buf = Buffer.alloc(4 << 20);
  let pos = 0;
  let total = 0;
  const flush = () => {
    let done = 0;
    while (done < pos) done += writeSync(fd, buf, done, pos - done);
    total += pos;
    pos = 0;
  };
  // Global header: little-endian microsecond pcap, Ethernet.
  buf.writeUInt32LE(0xa1b2c3d4, 0);
  buf.writeUInt16LE(2, 4);
  buf.writeUInt16LE(4, 6);
  buf.writeUInt32LE(0, 8);
  buf.writeUInt32LE(0, 12);
  buf.writeUInt32LE(65535, 16);
  buf.writeUInt32LE(1, 20);
  pos = 24;
  let rnd = o.seed >>> 0 || 1;
  const next = () => {
    rnd ^= rnd << 13;
    rnd ^= rnd >>> 17;
    rnd ^= rnd << 5;
    rnd >>>= 0;
    return rnd;
  };
  let tUs = 0; // microseconds since T0
  const stepUs = 1e6 / o.rate;
  for (let i = 0; i < o.flows; i++) {
    if (i > 0 && i % o.burst === 0) tUs += o.gap * 1e6;
    if (buf.length - pos < REC) flush();
    const us = Math.round(tUs);
    tUs += stepUs;
    const r1 = next();
    const r2 = next();
    const src = (10 << 24) | mix24(i + 1);
    const dst = (172 << 24) | (16 << 16) | (r1 & 0xfffff);
    const sport = 1024 + (r2 % 64000);
    const dport = r1 >>> 28 < 12 ? PORTS[r1 >>> 28] : 1024 + ((r2 >>> 16) % 60000);
    const p = pos;
    buf.writeUInt32LE(T0 + Math.floor(us / 1e6), p);
    buf.writeUInt32LE(us % 1e6, p + 4);
    buf.writeUInt32LE(FRAME, p + 8);
    buf.writeUInt32LE(FRAME, p + 12);
    const e = p + 16;
    // Ethernet: locally administered MACs derived from the addresses.
    buf[e] = 0x02;
    buf[e + 1] = 0x00;
    buf.writeUInt32BE(dst >>> 0, e + 2);
    buf[e + 6] = 0x02;
    buf[e + 7] = 0x01;
    buf.writeUInt32BE(src >>> 0, e + 8);
    buf.writeUInt16BE(0x0800, e + 12);
    // IPv4
    const ip = e + ETH;
    buf[ip] = 0x45;
    buf[ip + 1] = 0;
    buf.writeUInt16BE(IP + TCP, ip + 2);
    buf.writeUInt16BE(r2 & 0xffff, ip + 4);
    buf.writeUInt16BE(0x4000, ip + 6); // DF
    buf[ip + 8] = 64;
    buf[ip + 9] = 6;
    buf.writeUInt16BE(0, ip + 10);
    buf.writeUInt32BE(src >>> 0, ip + 12);
    buf.writeUInt32BE(dst >>> 0, ip + 16);
    buf.writeUInt16BE(ipChecksum(buf, ip, IP), ip + 10);
    // TCP SYN with an MSS option
    const t = ip + IP;
    buf.writeUInt16BE(sport, t);
    buf.writeUInt16BE(dport, t + 2);
    buf.writeUInt32BE(Math.imul(r1, 2654435761) >>> 0, t + 4);
    buf.writeUInt32BE(0, t + 8);
    buf[t + 12] = (TCP / 4) << 4;
    buf[t + 13] = 0x02;
    buf.writeUInt16BE(64240, t + 14);
    buf.writeUInt16BE(0, t + 16);
    buf.writeUInt16BE(0, t + 18);
    buf[t + 20] = 2;
    buf[t + 21] = 4;
    buf.writeUInt16BE(1460, t + 22);
    const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + TCP;
    buf.writeUInt16BE(ipChecksum(buf, t, TCP, pseudo), t + 16);
    pos += REC;
  }
  flush();
  closeSync(fd);
  renameSync(tmp, file);
  return total;
}

export function defaultFlowsFile(benchDir: string, flows: number): string {
  return join(benchDir, `flows-${flows}.pcap`);
}

function main(argv: string[]): number {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        output: { type: 'string', short: 'o' },
        flows: { type: 'string' },
        rate: { type: 'string' },
        burst: { type: 'string' },
        gap: { type: 'string' },
        seed: { type: 'string' },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`make-flows: ${(e as Error).message}\n`);
    return 2;
  }
  const o: MakeFlowsOptions = {
    flows: v.flows ? Number(v.flows) : DEFAULT_FLOWS.flows,
    rate: v.rate ? Number(v.rate) : DEFAULT_FLOWS.rate,
    burst: v.burst ? Number(v.burst) : DEFAULT_FLOWS.burst,
    gap: v.gap ? Number(v.gap) : DEFAULT_FLOWS.gap,
    seed: v.seed ? Number(v.seed) : DEFAULT_FLOWS.seed,
  };
  const file = v.output ?? defaultFlowsFile(process.env.BENCH_DIR || '/tmp/vigil-bench', o.flows);
  const bytes = makeFlows(file, o);
  process.stdout.write(`${file}: ${o.flows} packets (one SYN per flow), ${bytes} bytes\n`);
  return 0;
}

// Run as a script, not when imported by run.ts.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
