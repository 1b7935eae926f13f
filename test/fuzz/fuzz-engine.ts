/**
 * Mutation fuzzer for the whole engine (reliability.md §6.1 R1): every packet of every corpus
 * capture is a seed; seeds are replayed in capture order (so flows, TCP streams and analyzers
 * reach deep states) with mutations mixed in, TCP segments split and reordered, and a sample of
 * seeds truncated at every length. Everything goes through one Engine with all analyzers of
 * createAnalyzers() and a sink that wants every log and serializes each record (Zeek JSON, parsed
 * back, and ECS), so log building is fuzzed too. Packet time only moves forward; between rounds it
 * jumps past every timeout, so expiry runs.
 *
 *   npm run fuzz -- [--packets N] [--seconds S] [--seed X] [--max-flows N]
 *   node dist/test/fuzz/fuzz-engine.js --replay HEX [--linktype 1]   (one packet, fresh engine)
 *
 * A failing packet is printed with the run seed, the packet number, its seed packet, the list of
 * mutations and its hex; rerunning with the same --seed and --packets reproduces the run.
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pathToFileURL } from 'node:url';
import { Engine } from '../../src/engine/engine.js';
import { createAnalyzers } from '../../src/decode/app/registry.js';
import { DEFAULT_REASSEMBLY } from '../../src/decode/net/reassembly.js';
import { MAX_RECORD } from '../../src/capture/frame-parser.js';
import { zeekConnLine, zeekJsonLine } from '../../src/logs/zeek-json.js';
import { ecsDocument } from '../../src/logs/ecs.js';
import type { RecordSink } from '../../src/logs/record-sink.js';
import type { ConnInfo, LogFields } from '../../src/decode/app/analyzer.js';
import type { ConnRecord } from '../../src/flow/conn-record.js';
import { PCAPS } from '../helpers/analyze.js';
import { Mutator, Rng, hexOf, loadSeeds, type Seed } from './mutate.js';

export interface FuzzOptions {
  /** Stop after this many mutated packets (clean replays of seeds are not counted). */
  packets: number;
  /** Stop after this many seconds (0: no time limit). */
  seconds: number;
  seed: number;
  /** Flow cap; small by default so eviction runs constantly. */
  maxFlows: number;
  /** Corpus root. */
  corpus: string;
  /** Stop collecting after this many distinct failures. */
  maxFailures: number;
  /** Per-packet time limit in ms (R1: 50). */
  slowMs: number;
  /** Progress lines (every ~5 s); null for quiet. */
  log: ((line: string) => void) | null;
}

export const DEFAULT_FUZZ: FuzzOptions = {
  packets: 5_000_000,
  seconds: 0,
  seed: 1,
  maxFlows: 1024,
  corpus: PCAPS,
  maxFailures: 20,
  slowMs: 50,
  log: null,
};

export interface FuzzPacketReport {
  runSeed: number;
  round: number;
  /** 1-based number of the packet fed to the engine in this run (clean ones included). */
  packet: number;
  phase: string;
  seed: string;
  mutation: string;
  linktype: number;
  caplen: number;
  wirelen: number;
  ts: number;
  hex: string;
}

export interface FuzzFailure extends FuzzPacketReport {
  error: string;
  /** How many exceptions had this same stack top. */
  count: number;
}

export interface SlowPacket extends FuzzPacketReport {
  ms: number;
  /** The packet crossed a second of packet time: the engine's coarse tick (expiry) ran in it. */
  tick: boolean;
  /** CPU time of the batch of packets this one was in (an upper bound for the packet). */
  batchCpuMs: number;
}

export interface FuzzResult {
  seeds: number;
  seedFiles: number;
  rounds: number;
  /** Packets fed, clean + mutated. */
  packets: number;
  mutated: number;
  seconds: number;
  packetsPerSecond: number;
  exceptions: number;
  failures: FuzzFailure[];
  /** Slowest packets, slowest first. */
  slowest: SlowPacket[];
  /** The first packets over the limit. */
  overLimit: SlowPacket[];
  maxPacketMs: number;
  /** Packets over the limit in wall time and CPU time. */
  packetsOverLimit: number;
  /** Packets over the limit in wall time only: their batch used less CPU than the limit. */
  packetsPreempted: number;
  maxActiveFlows: number;
  flowCapacity: number;
  flowsCreated: number;
  flowsEnded: number;
  flowsEvicted: number;
  maxFragsPending: number;
  fragsCap: number;
  records: number;
  recordsByLog: Record<string, number>;
  recordChars: number;
  weirdNames: number;
  weirds: Record<string, number>;
  /** Before any packet. */
  heapBeforeMiB: number;
  /** After round 1 and its expiry sweep: code compiled, caches warm, flow table empty again. */
  heapBaselineMiB: number;
  /** Longest expiry sweep (the first packet after a jump past every timeout). */
  maxSweepMs: number;
  heapAfterMiB: number;
  gcAvailable: boolean;
}

/** Wants every log; serializes each record as Zeek JSON (parsed back) and as an ECS document. */
class SerializingSink implements RecordSink {
  records = 0;
  chars = 0;
  readonly byLog = new Map<string, number>();
  wants(): boolean {
    return true;
  }
  record(path: string, ts: number, conn: ConnInfo | null, fields: LogFields): void {
    const line = zeekJsonLine(ts, conn, fields);
    JSON.parse(line); // a record that is not valid JSON is a failure of the packet that made it
    const doc = JSON.stringify(ecsDocument(path, ts, conn, fields, 'fuzz'));
    this.records++;
    this.chars += line.length + doc.length;
    this.byLog.set(path, (this.byLog.get(path) ?? 0) + 1);
  }
  conn(r: ConnRecord): void {
    const line = zeekConnLine(r);
    JSON.parse(line);
    const doc = JSON.stringify(ecsDocument('conn', r.ts, r.connInfo(), r.toFields(), 'fuzz'));
    this.records++;
    this.chars += line.length + doc.length;
    this.byLog.set('conn', (this.byLog.get('conn') ?? 0) + 1);
  }
}

/** A callable gc, if V8 lets us have one (it does in Node 20 via the flag + a fresh context). */
export function getGc(): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    setFlagsFromString('--expose-gc');
    const f = runInNewContext('gc') as unknown;
    return typeof f === 'function' ? (f as () => void) : null;
  } catch {
    return null;
  }
}

function heapMiB(gc: (() => void) | null): number {
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed / 1048576;
}

const TS_START = 1_700_000_000;
/** Seeds truncated at every length per round: one in TRUNC_STRIDE, a different sample each round. */
const TRUNC_STRIDE = 211;
/** Packets per CPU-time sample. */
const CPU_BATCH = 64;

export function runFuzz(options: Partial<FuzzOptions> = {}): FuzzResult {
  const o: FuzzOptions = { ...DEFAULT_FUZZ, ...options };
  const seeds = loadSeeds(o.corpus);
  if (seeds.length === 0) throw new Error(`no seed packets under ${o.corpus}`);
  const seedFiles = new Set(seeds.map((s) => s.name.slice(0, s.name.lastIndexOf('#')))).size;
  const rng = new Rng(o.seed);
  const mut = new Mutator(seeds, rng);
  const sink = new SerializingSink();
  const gc = getGc();
  const engine = new Engine(createAnalyzers(), sink, { maxFlows: o.maxFlows, seed: o.seed });
  const heapBefore = heapMiB(gc);
  // Packets are placed at the very end of this buffer, so a read past caplen is a read past the
  // buffer: Buffer.read* throws (found as an exception) instead of silently reading stale bytes.
  const out = Buffer.alloc(MAX_RECORD);

  let ts = TS_START;
  let packets = 0;
  let mutated = 0;
  let exceptions = 0;
  let round = 0;
  let phase = 'stream';
  let maxMs = 0;
  let overLimit = 0;
  let maxActive = 0;
  let maxFrags = 0;
  let maxSweep = 0;
  let lastTs = 0;
  const overList: SlowPacket[] = [];
  // Wall time per packet is what is measured; on a busy machine the process can be descheduled
  // in the middle of a packet. Process CPU time (cheap enough per batch, not per packet) bounds
  // what a packet of the batch can have used: a packet over the limit whose whole batch used less
  // CPU than the limit was preempted, not slow, and is counted apart.
  const suspects: SlowPacket[] = [];
  let preempted = 0;
  let inBatch = 0;
  let cpuMark = process.cpuUsage();
  const closeBatch = (): void => {
    inBatch = 0;
    const c = process.cpuUsage(cpuMark);
    cpuMark = process.cpuUsage();
    if (suspects.length === 0) return;
    const cpuMs = (c.user + c.system) / 1000;
    for (const sp of suspects) {
      sp.batchCpuMs = cpuMs;
      if (cpuMs < o.slowMs) {
        preempted++;
        continue;
      }
      overLimit++;
      if (overList.length < 10) overList.push(sp);
    }
    suspects.length = 0;
  };
  let heapBaseline = heapBefore;
  const failures = new Map<string, FuzzFailure>();
  const slowest: SlowPacket[] = [];
  const started = performance.now();
  const deadline = o.seconds > 0 ? started + o.seconds * 1000 : Infinity;
  let now = started;
  let lastLog = started;

  const report = (seed: Seed, caplen: number, wirelen: number, off: number): FuzzPacketReport => ({
    runSeed: o.seed,
    round,
    packet: packets,
    phase,
    seed: seed.name,
    mutation: mut.describe(seeds),
    linktype: seed.linktype,
    caplen,
    wirelen,
    ts,
    hex: hexOf(out, off, caplen),
  });

  /** Feeds the mutator's current packet to the engine, timed and guarded. */
  const feed = (isMutated: boolean, wirelen: number): void => {
    const seed = mut.seed!;
    const len = mut.len;
    const off = out.length - len;
    mut.work.copy(out, off, 0, len);
    const wl = wirelen > len ? wirelen : len;
    packets++;
    if (isMutated) mutated++;
    const t0 = performance.now();
    try {
      engine.packet(seed.linktype, out, off, len, wl, ts);
    } catch (e) {
      exceptions++;
      const err = e as Error;
      const stack = String(err?.stack ?? err);
      const key = stack.split('\n').slice(0, 3).join('\n');
      const known = failures.get(key);
      if (known) known.count++;
      else if (failures.size < o.maxFailures) {
        // Restore the packet bytes (an analyzer may have scribbled on the window) for the report.
        mut.work.copy(out, off, 0, len);
        failures.set(key, { ...report(seed, len, wl, off), error: stack, count: 1 });
      }
    }
    now = performance.now();
    const dt = now - t0;
    if (dt > maxMs) maxMs = dt;
    const tick = Math.floor(ts) !== Math.floor(lastTs);
    lastTs = ts;
    if (dt > o.slowMs) {
      mut.work.copy(out, off, 0, len);
      suspects.push({ ...report(seed, len, wl, off), ms: dt, tick, batchCpuMs: 0 });
    }
    if (slowest.length < 5 || dt > slowest[slowest.length - 1].ms) {
      mut.work.copy(out, off, 0, len);
      slowest.push({ ...report(seed, len, wl, off), ms: dt, tick, batchCpuMs: -1 });
      slowest.sort((a, b) => b.ms - a.ms);
      if (slowest.length > 5) slowest.pop();
    }
    if (++inBatch === CPU_BATCH) closeBatch();
    ts += 0.0002 + rng.below(2000) * 1e-6;
  };

  const done = (): boolean => mutated >= o.packets || now >= deadline || failures.size >= o.maxFailures;

  while (!done()) {
    round++;
    // Rounds alternate how much is mutated: mostly clean replays reach deep protocol states;
    // mostly mutated ones stress the lower layers.
    const pm = [0.25, 0.6, 0.95][round % 3];
    const truncPick = (round * 97) % TRUNC_STRIDE;
    for (let i = 0; i < seeds.length && !done(); i++) {
      const s = seeds[i];
      phase = 'stream';
      mut.begin(s);
      if (rng.chance(pm)) {
        mut.mutate(3);
        feed(true, s.wirelen);
        // Often follow with the clean packet, so the flow goes on as in the capture.
        if (rng.chance(0.5)) {
          mut.begin(s);
          phase = 'stream-clean';
          feed(false, s.wirelen);
        }
      } else {
        feed(false, s.wirelen);
      }
      // TCP segment splitting: the payload again in 2..8 pieces, sometimes reordered or
      // overlapping (analyzers see messages cut anywhere; the stream buffer holds and trims).
      const plen = s.payloadEnd - s.payload;
      if (s.proto === 6 && s.payload >= 0 && plen >= 2 && rng.chance(0.08)) {
        phase = 'tcp-split';
        const k = 2 + rng.below(Math.min(7, plen - 1));
        const cuts: number[] = [0];
        for (let j = 1; j < k; j++) cuts.push(rng.below(plen + 1));
        cuts.push(plen);
        cuts.sort((a, b) => a - b);
        const order = cuts.slice(0, -1).map((_, j) => j);
        if (rng.chance(0.3)) order.reverse();
        else if (rng.chance(0.2)) order.sort(() => (rng.chance(0.5) ? 1 : -1));
        for (const j of order) {
          const a = Math.max(0, cuts[j] - (rng.chance(0.15) ? rng.below(8) : 0));
          const b = cuts[j + 1];
          if (b <= a) continue;
          if (!mut.tcpPiece(s, a, b)) break;
          if (rng.chance(0.1)) mut.mutate(2);
          feed(true, 0);
        }
      }
      // Truncation at every length for a sample of seeds (kept wire length: a snap-length cut).
      if (i % TRUNC_STRIDE === truncPick) {
        phase = 'truncation-sweep';
        for (let n = 0; n < s.data.length && !done(); n++) {
          mut.begin(s);
          mut.truncate(n);
          feed(true, s.wirelen);
        }
      }
      if (o.log && now - lastLog > 5000) {
        lastLog = now;
        const secs = (now - started) / 1000;
        o.log(`fuzz: round ${round}, ${packets.toLocaleString('en-US')} packets (${mutated.toLocaleString('en-US')} mutated), ${Math.round(packets / secs).toLocaleString('en-US')} packets/s, max ${maxMs.toFixed(1)} ms/packet, ${exceptions} exceptions`);
      }
    }
    const active = engine.table.active;
    if (active > maxActive) maxActive = active;
    const fp = engine.frags.pending;
    if (fp > maxFrags) maxFrags = fp;
    // Past every timeout: all flows and fragments expire on the next packet. That packet's time
    // is the expiry sweep of a whole round's flows (thousands of conn records), not decoding: it
    // is an empty frame here, timed on its own.
    ts += 400;
    closeBatch();
    mut.begin(seeds[0]);
    mut.truncate(0);
    const t0 = performance.now();
    phase = 'sweep';
    try {
      engine.packet(seeds[0].linktype, out, out.length, 0, 0, ts);
    } catch (e) {
      exceptions++;
      const stack = String((e as Error)?.stack ?? e);
      failures.set('sweep\n' + stack, { ...report(seeds[0], 0, 0, out.length), error: stack, count: 1 });
    }
    now = performance.now();
    if (now - t0 > maxSweep) maxSweep = now - t0;
    packets++;
    ts += 1;
    if (round === 1) heapBaseline = heapMiB(gc);
    cpuMark = process.cpuUsage();
  }

  closeBatch();
  phase = 'finish';
  try {
    engine.finish();
  } catch (e) {
    exceptions++;
    const stack = String((e as Error)?.stack ?? e);
    failures.set('finish\n' + stack, {
      runSeed: o.seed, round, packet: packets, phase, seed: '-', mutation: '-', linktype: 0, caplen: 0, wirelen: 0, ts, hex: '',
      error: stack, count: 1,
    });
  }
  const seconds = (performance.now() - started) / 1000;
  const heapAfter = heapMiB(gc);
  return {
    seeds: seeds.length,
    seedFiles,
    rounds: round,
    packets,
    mutated,
    seconds,
    packetsPerSecond: packets / seconds,
    exceptions,
    failures: [...failures.values()],
    slowest,
    overLimit: overList,
    maxPacketMs: maxMs,
    packetsOverLimit: overLimit,
    packetsPreempted: preempted,
    maxActiveFlows: maxActive,
    flowCapacity: engine.table.capacity,
    flowsCreated: engine.table.created,
    flowsEnded: engine.counters.flowsEnded,
    flowsEvicted: engine.counters.flowsEvicted,
    maxFragsPending: maxFrags,
    fragsCap: DEFAULT_REASSEMBLY.maxPending,
    records: sink.records,
    recordsByLog: Object.fromEntries([...sink.byLog].sort()),
    recordChars: sink.chars,
    weirdNames: engine.weirdCounts.size,
    weirds: Object.fromEntries([...engine.weirdCounts].sort((a, b) => b[1] - a[1])),
    heapBeforeMiB: heapBefore,
    heapBaselineMiB: heapBaseline,
    maxSweepMs: maxSweep,
    heapAfterMiB: heapAfter,
    gcAvailable: gc !== null,
  };
}

export function formatPacketReport(r: FuzzPacketReport): string {
  return [
    `  run seed ${r.runSeed}, round ${r.round}, packet ${r.packet} (${r.phase}), ts ${r.ts.toFixed(6)}`,
    `  from seed packet ${r.seed}, linktype ${r.linktype}, caplen ${r.caplen}, wirelen ${r.wirelen}`,
    `  mutations: ${r.mutation}`,
    `  hex:\n${r.hex.replace(/^/gm, '    ')}`,
  ].join('\n');
}

export function formatSlow(s: SlowPacket, limit: number): string {
  return `packet over ${limit} ms: ${s.ms.toFixed(2)} ms wall, batch CPU ${s.batchCpuMs.toFixed(1)} ms${s.tick ? ' (the expiry tick ran in it)' : ''}\n${formatPacketReport(s)}`;
}

export function formatFailure(f: FuzzFailure): string {
  const note = /#tick|#expire|#evict/.test(f.error)
    ? '  note: thrown while ending an older flow (expiry or eviction); the packet below only triggered it. Replay the whole run.\n'
    : '';
  return `exception (${f.count}x):\n${f.error.replace(/^/gm, '  ')}\n${note}${formatPacketReport(f)}`;
}

export function formatSummary(r: FuzzResult): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return [
    `fuzz: ${n(r.packets)} packets (${n(r.mutated)} mutated) from ${n(r.seeds)} seeds in ${r.seedFiles} captures, ${r.rounds} rounds, ${r.seconds.toFixed(1)} s, ${n(r.packetsPerSecond)} packets/s`,
    `fuzz: ${r.exceptions} exceptions, max ${r.maxPacketMs.toFixed(2)} ms/packet (wall), ${r.packetsOverLimit} packets over the limit, ${r.packetsPreempted} over it in wall time only (descheduled)`,
    `fuzz: flows max active ${n(r.maxActiveFlows)}/${n(r.flowCapacity)}, created ${n(r.flowsCreated)}, evicted ${n(r.flowsEvicted)}; fragments max pending ${r.maxFragsPending}/${r.fragsCap}`,
    `fuzz: ${n(r.records)} records serialized (${Object.entries(r.recordsByLog).map(([k, v]) => `${k} ${n(v)}`).join(', ')}), ${r.weirdNames} weird names`,
    `fuzz: heap ${r.heapBeforeMiB.toFixed(1)} MiB before, ${r.heapBaselineMiB.toFixed(1)} MiB after round 1, ${r.heapAfterMiB.toFixed(1)} MiB after${r.gcAvailable ? ' (after gc)' : ' (no gc)'}; longest expiry sweep ${r.maxSweepMs.toFixed(1)} ms`,
  ].join('\n');
}

// ---- command line --------------------------------------------------------------------------

function replay(hex: string, linktype: number): number {
  const sink = new SerializingSink();
  const engine = new Engine(createAnalyzers(), sink, { seed: 1 });
  const bytes = Buffer.from(hex.replace(/\s+/g, ''), 'hex');
  const buf = Buffer.alloc(MAX_RECORD);
  bytes.copy(buf, buf.length - bytes.length);
  try {
    engine.packet(linktype, buf, buf.length - bytes.length, bytes.length, bytes.length, TS_START);
    engine.finish();
  } catch (e) {
    process.stderr.write(`replay: exception: ${(e as Error).stack}\n`);
    return 1;
  }
  process.stdout.write(`replay: no exception; ${sink.records} records, weirds ${JSON.stringify(Object.fromEntries(engine.weirdCounts))}\n`);
  return 0;
}

function main(argv: string[]): number {
  const o: Partial<FuzzOptions> = { log: (l) => process.stderr.write(l + '\n') };
  let packetsGiven = false;
  let secondsGiven = false;
  let replayHex: string | null = null;
  let linktype = 1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) {
        process.stderr.write(`fuzz: ${a} needs a non-negative number\n`);
        process.exit(2);
      }
      return v;
    };
    if (a === '--packets') {
      o.packets = val();
      packetsGiven = true;
    } else if (a === '--seconds') {
      o.seconds = val();
      secondsGiven = true;
    } else if (a === '--seed') o.seed = val();
    else if (a === '--max-flows') o.maxFlows = Math.max(16, val());
    else if (a === '--quiet') o.log = null;
    else if (a === '--replay') replayHex = argv[++i] ?? '';
    else if (a === '--linktype') linktype = val();
    else {
      process.stderr.write(`usage: fuzz-engine [--packets N] [--seconds S] [--seed X] [--max-flows N] [--quiet]\n       fuzz-engine --replay HEX [--linktype N]\n`);
      return 2;
    }
  }
  if (replayHex !== null) return replay(replayHex, linktype);
  // --seconds alone: run for that long, however many packets it takes.
  if (secondsGiven && !packetsGiven) o.packets = Infinity;
  const r = runFuzz(o);
  process.stdout.write(formatSummary(r) + '\n');
  for (const s of r.slowest.slice(0, 1)) process.stdout.write(`slowest packet: ${s.ms.toFixed(2)} ms${s.tick ? ' (expiry tick ran)' : ''}\n${formatPacketReport(s)}\n`);
  for (const s of r.overLimit) process.stdout.write(formatSlow(s, DEFAULT_FUZZ.slowMs) + '\n');
  for (const f of r.failures) process.stdout.write(formatFailure(f) + '\n');
  return r.exceptions > 0 || r.packetsOverLimit > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
