/**
 * R1 in CI: at least 1,000,000 mutated corpus packets through the whole engine (every analyzer,
 * every log serialized), with zero exceptions, no packet over 50 ms, bounded flow table and
 * fragment state, and no heap growth beyond JIT noise. Plus a capture-level fuzz: mutated pcap and
 * pcapng files pushed through the FrameParser in random chunk sizes must parse exactly as when
 * pushed whole, and never throw.
 *
 * VIGIL_FUZZ_PACKETS and VIGIL_FUZZ_SEED override the packet count and the run seed; a failure
 * prints the seed, the packet number, its seed packet, the mutations and the hex, and
 * `npm run fuzz -- --seed S --packets N` replays the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { FrameParser } from '../../src/capture/frame-parser.js';
import type { PacketSink } from '../../src/capture/packet-sink.js';
import { Engine } from '../../src/engine/engine.js';
import { createAnalyzers } from '../../src/decode/app/registry.js';
import { zeekConnLine, zeekJsonLine } from '../../src/logs/zeek-json.js';
import { ecsDocument } from '../../src/logs/ecs.js';
import type { RecordSink } from '../../src/logs/record-sink.js';
import { PCAPS } from '../helpers/analyze.js';
import { formatFailure, formatSlow, formatSummary, runFuzz } from './fuzz-engine.js';
import { Rng, hexOf } from './mutate.js';

const PACKETS = Number(process.env.VIGIL_FUZZ_PACKETS ?? 1_000_000);
const SEED = Number(process.env.VIGIL_FUZZ_SEED ?? 1);
const SLOW_MS = 50;

test(`R1: ${PACKETS.toLocaleString('en-US')} mutated corpus packets through the whole engine`, { timeout: 15 * 60_000 }, (t) => {
  const r = runFuzz({ packets: PACKETS, seed: SEED, slowMs: SLOW_MS, log: (l) => t.diagnostic(l) });
  for (const line of formatSummary(r).split('\n')) t.diagnostic(line);
  const problems: string[] = [];
  for (const f of r.failures) problems.push(formatFailure(f));
  for (const s of r.overLimit) problems.push(formatSlow(s, SLOW_MS));
  if (problems.length) process.stderr.write(problems.join('\n\n') + `\n(replay: npm run fuzz -- --seed ${SEED} --packets ${PACKETS})\n`);

  assert.ok(r.seeds > 10_000 && r.seedFiles >= 50, `the corpus gave ${r.seeds} seed packets from ${r.seedFiles} captures`);
  assert.ok(r.mutated >= PACKETS, `only ${r.mutated} mutated packets were fed`);
  assert.equal(r.exceptions, 0, `${r.exceptions} exceptions escaped the engine; first:\n${r.failures.map(formatFailure).join('\n')}`);
  assert.equal(r.packetsOverLimit, 0, `${r.packetsOverLimit} packets took over ${SLOW_MS} ms of CPU; first:\n${r.overLimit.map((s) => formatSlow(s, SLOW_MS)).join('\n')}`);

  // Everything that grows has a cap (rule 4): the flow table and pending fragments stayed within
  // theirs, and the cap was actually reached (eviction ran), as were the fragment limits.
  assert.ok(r.maxActiveFlows <= r.flowCapacity, `flows ${r.maxActiveFlows} > cap ${r.flowCapacity}`);
  assert.ok(r.flowsEvicted > 0, 'the flow cap was never reached: eviction untested');
  assert.ok(r.maxFragsPending <= r.fragsCap, `pending fragments ${r.maxFragsPending} > cap ${r.fragsCap}`);
  assert.equal(r.flowsEnded, r.flowsCreated, 'every flow ends (expired, evicted or at finish) exactly once');

  // The analyzers were reached, not just the lower layers: their logs were built and serialized.
  for (const log of ['conn', 'dns', 'ssl', 'http', 'dhcp', 'ssh', 'modbus', 'weird']) {
    assert.ok((r.recordsByLog[log] ?? 0) > 0, `no ${log} records: the fuzz no longer reaches that analyzer`);
  }

  // Heap: after round 1 (code compiled, flow table emptied by the sweep) and after the run (all
  // flows ended) the live heap must match, allowing 10 % plus 4 MiB for code V8 optimizes later
  // in the run. A leak of even ~40 bytes per flow (the run makes well over 100k flows) fails this.
  if (r.gcAvailable) {
    const limit = r.heapBaselineMiB * 1.1 + 4;
    assert.ok(r.heapAfterMiB <= limit, `heap ${r.heapAfterMiB.toFixed(1)} MiB after the run > ${limit.toFixed(1)} MiB (baseline ${r.heapBaselineMiB.toFixed(1)} MiB)`);
  }
});

test('the fuzzer is deterministic: the same seed gives the same run', () => {
  const a = runFuzz({ packets: 30_000, seed: SEED + 1 });
  const b = runFuzz({ packets: 30_000, seed: SEED + 1 });
  const c = runFuzz({ packets: 30_000, seed: SEED + 2 });
  const key = (r: typeof a) => JSON.stringify([r.packets, r.mutated, r.flowsCreated, r.recordsByLog, r.recordChars, r.weirds]);
  assert.equal(key(a), key(b));
  assert.notEqual(key(a), key(c), 'another seed mutates differently');
});

// ---- capture-level fuzz: the framing layer -----------------------------------------------------

interface Delivered {
  count: number;
  hash: number;
}

/** Forwards to the engine and hashes what was delivered (linktype, lengths, time, bytes). */
class HashingSink implements PacketSink {
  count = 0;
  hash = 0x811c9dc5;
  constructor(readonly engine: Engine) {}
  #mix(x: number): void {
    this.hash = Math.imul(this.hash ^ (x >>> 0), 0x01000193) >>> 0;
  }
  packet(linktype: number, buf: Buffer, off: number, caplen: number, wirelen: number, ts: number): void {
    this.count++;
    this.#mix(linktype);
    this.#mix(caplen);
    this.#mix(wirelen);
    this.#mix(Math.floor(ts));
    this.#mix(Math.round((ts % 1) * 1e6));
    for (let i = 0; i < caplen; i += 7) this.#mix(buf[off + i]);
    this.engine.packet(linktype, buf, off, caplen, wirelen, ts);
  }
}

/* Both output formats are built for every record, whatever its time (regressions.test.ts). */
const quietSink: RecordSink = {
  wants: () => true,
  record: (path, ts, conn, f) => {
    zeekJsonLine(ts, conn, f);
    ecsDocument(path, ts, conn, f, 'fuzz');
  },
  conn: (r) => {
    zeekConnLine(r);
    ecsDocument('conn', r.ts, r.connInfo(), r.toFields(), 'fuzz');
  },
};

function parseAll(bytes: Buffer, chunks: Rng | null): Delivered & { problem: string | null; notCapture: string | null } {
  const engine = new Engine(createAnalyzers(), quietSink, { maxFlows: 256, seed: 1 });
  const sink = new HashingSink(engine);
  const p = new FrameParser(sink, 0);
  if (!chunks) p.push(bytes);
  else {
    for (let off = 0; off < bytes.length && !p.stopped; ) {
      const n = 1 + chunks.below(chunks.chance(0.5) ? 64 : 8192);
      p.push(bytes.subarray(off, off + n));
      off += n;
    }
  }
  p.finish();
  engine.finish();
  return { count: sink.count, hash: sink.hash, problem: p.problem, notCapture: p.notCapture };
}

/** Offsets of the framing fields of a capture file: record/block headers and lengths. */
function framingFields(b: Buffer): number[] {
  const out: number[] = [0, 4, 6, 8, 16, 20]; // magic, versions/BOM, snaplen, linktype
  if (b.length < 24) return out;
  const m = b.readUInt32LE(0);
  if (m === 0xa1b2c3d4 || m === 0xa1b23c4d || m === 0xd4c3b2a1 || m === 0x4d3cb2a1) {
    const be = m === 0xd4c3b2a1 || m === 0x4d3cb2a1;
    for (let p = 24, n = 0; p + 16 <= b.length && n < 64; n++) {
      out.push(p, p + 4, p + 8, p + 12);
      p += 16 + (be ? b.readUInt32BE(p + 8) : b.readUInt32LE(p + 8));
    }
  } else if (m === 0x0a0d0d0a) {
    const le = b.readUInt32LE(8) === 0x1a2b3c4d;
    for (let p = 0, n = 0; p + 12 <= b.length && n < 64; n++) {
      const len = le ? b.readUInt32LE(p + 4) : b.readUInt32BE(p + 4);
      out.push(p, p + 4, p + 8, p + 12, p + 16, p + 20, p + 24, p + 28);
      if (len >= 12) out.push(p + len - 4);
      if (len < 12 || len % 4) break;
      p += len;
    }
  }
  return out;
}

function captureFiles(dir: string, out: string[]): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) captureFiles(p, out);
    else if (/\.pcap(ng)?$/.test(e)) out.push(p);
  }
  return out;
}

const EXTREMES = [0, 1, 0xffff, 0xffffffff, 0x7fffffff, 12, 16, 28, 262144, 262145, 16 * 1024 * 1024];

test('capture framing fuzz: mutated pcap/pcapng headers, pushed whole or in random chunks, parse the same and never throw', { timeout: 10 * 60_000 }, (t) => {
  const rng = new Rng(SEED ^ 0xc0ffee);
  const files = captureFiles(PCAPS, []).map((f) => {
    const b = readFileSync(f);
    // The first 48 KiB keeps each iteration fast; the cut itself is one more thing to survive.
    return { name: relative(PCAPS, f), bytes: b.subarray(0, Math.min(b.length, 48 * 1024)) };
  });
  const ITER = 1500;
  let records = 0;
  let damaged = 0;
  for (let i = 0; i < ITER; i++) {
    const f = files[i % files.length];
    const b = Buffer.from(f.bytes);
    const fields = framingFields(b);
    const ops: string[] = [];
    const n = 1 + rng.below(3);
    for (let k = 0; k < n; k++) {
      const pos = rng.pick(fields);
      if (pos + 4 > b.length) continue;
      const c = rng.below(3);
      if (c === 0) {
        const v = rng.pick(EXTREMES) >>> 0;
        if (rng.chance(0.5)) b.writeUInt32LE(v, pos);
        else b.writeUInt32BE(v, pos);
        ops.push(`u32 at ${pos} = ${v}`);
      } else if (c === 1) {
        const bit = rng.below(32);
        b[pos + (bit >> 3)] ^= 1 << (bit & 7);
        ops.push(`flip bit ${bit} at ${pos}`);
      } else {
        const p2 = rng.below(Math.min(b.length, 256));
        b[p2] = rng.below(256);
        ops.push(`set byte ${p2}`);
      }
    }
    let whole: ReturnType<typeof parseAll>;
    let chunked: ReturnType<typeof parseAll>;
    try {
      whole = parseAll(b, null);
      chunked = parseAll(b, new Rng(SEED + i));
    } catch (e) {
      assert.fail(`iteration ${i}, ${f.name}, mutations [${ops.join('; ')}]: ${(e as Error).stack}\nfirst 128 bytes:\n${hexOf(b, 0, Math.min(128, b.length))}`);
    }
    assert.equal(chunked.count, whole.count, `iteration ${i}, ${f.name} [${ops.join('; ')}]: chunked parsing delivered ${chunked.count} records, whole ${whole.count}`);
    assert.equal(chunked.hash, whole.hash, `iteration ${i}, ${f.name} [${ops.join('; ')}]: chunked parsing delivered different records`);
    assert.equal(chunked.problem === null, whole.problem === null, `iteration ${i}, ${f.name} [${ops.join('; ')}]: damage reported one way only`);
    records += whole.count;
    if (whole.problem || whole.notCapture) damaged++;
  }
  t.diagnostic(`${ITER} mutated captures, ${records} records delivered, ${damaged} reported as damaged or not a capture`);
  assert.ok(damaged > 0 && records > 0);
});
