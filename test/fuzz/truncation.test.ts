/**
 * R4, the truncation sweep (reliability.md §6.1): every corpus capture replayed at snap lengths
 * 14, 34, 54, 64, 96 and 128 (each record's caplen cut in memory, its wire length kept, as a
 * capture with that snap length would hold it) through the engine with all analyzers.
 *
 * Per packet, against an independent walk of the full packet's headers:
 *   - nothing throws;
 *   - a packet whose link, IP or transport header the cut reaches gets a truncated-header weird
 *     (`truncated_*`, `*_too_short`) in that same packet, and makes no flow;
 *   - a packet whose headers all survive the cut still counts to its flow, as at full length.
 * Only packets that decoded without any weird at full length are held to the last two rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Engine } from '../../src/engine/engine.js';
import { createAnalyzers } from '../../src/decode/app/registry.js';
import { MAX_RECORD } from '../../src/capture/frame-parser.js';
import { zeekConnLine, zeekJsonLine } from '../../src/logs/zeek-json.js';
import type { RecordSink } from '../../src/logs/record-sink.js';
import { PCAPS } from '../helpers/analyze.js';
import { readCaptureSeeds, type Seed } from './mutate.js';

const SNAPS = [14, 34, 54, 64, 96, 128];
const TRUNCATED = /truncated|too_short/;

function captureFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) captureFiles(p, out);
    else if (/\.pcap(ng)?$/.test(e)) out.push(p);
  }
  return out;
}

/** Serializes every record (log building runs on truncated input too) and counts them. */
class CountingSink implements RecordSink {
  records = 0;
  wants(): boolean {
    return true;
  }
  record(_path: string, ts: number, conn: Parameters<typeof zeekJsonLine>[1], fields: Parameters<typeof zeekJsonLine>[2]): void {
    zeekJsonLine(ts, conn, fields);
    this.records++;
  }
  conn(r: Parameters<typeof zeekConnLine>[0]): void {
    zeekConnLine(r);
    this.records++;
  }
}

interface PacketOutcome {
  /** Decoder-level weird names reported while this packet was decoded. */
  weirds: string[];
  /** The transport header was decoded: the packet counted to a flow. */
  flowed: boolean;
}

interface Run {
  outcomes: PacketOutcome[];
  exceptions: string[];
  packets: number;
  records: number;
  weirds: Map<string, number>;
}

const window = Buffer.alloc(MAX_RECORD);

/** Replays seeds with caplen cut to `snap` (Infinity: full), recording each packet's outcome. */
function replay(seeds: readonly Seed[], snap: number): Run {
  const sink = new CountingSink();
  const engine = new Engine(createAnalyzers(), sink, { maxFlows: 4096, seed: 1 });
  let current: string[] = [];
  const decoderWeird = engine.weird.bind(engine);
  // Decoders report through engine.weird(name): record which ones fire for each packet.
  engine.weird = (name: string, addl?: string): void => {
    current.push(name);
    decoderWeird(name, addl);
  };
  const outcomes: PacketOutcome[] = [];
  const exceptions: string[] = [];
  for (const s of seeds) {
    const caplen = Math.min(s.data.length, snap);
    // At the end of the window: a read past caplen is a read past the buffer, and throws.
    const off = window.length - caplen;
    s.data.copy(window, off, 0, caplen);
    current = [];
    try {
      engine.packet(s.linktype, window, off, caplen, s.wirelen, s.ts);
    } catch (e) {
      exceptions.push(`${s.name} at snap length ${snap}: ${(e as Error).stack}\n  packet: ${s.data.subarray(0, caplen).toString('hex')}`);
    }
    outcomes.push({ weirds: current, flowed: engine.view.l4 >= 0 && engine.view.ipVersion !== 0 });
  }
  try {
    engine.finish();
  } catch (e) {
    exceptions.push(`finish after snap length ${snap}: ${(e as Error).stack}`);
  }
  return { outcomes, exceptions, packets: engine.counters.packets, records: sink.records, weirds: engine.weirdCounts };
}

const LINK_HEADER: Record<number, number> = { 0: 4, 1: 14, 12: 1, 101: 1, 108: 4, 113: 16, 228: 1, 229: 1, 276: 20 };

/** Which header the cut reaches, from a walk of the full packet; null when all headers fit. */
function headerCut(s: Seed, snap: number): string | null {
  const d = s.data;
  if (snap >= d.length) return null;
  const link = LINK_HEADER[s.linktype] ?? 0;
  if (snap < link) return 'link header';
  if (s.l3 < 0) return null;
  if (snap < s.l3) return 'link header (VLAN/PPPoE)';
  if (s.ipVersion === 0) return snap < s.l3 + 28 ? 'ARP message' : null;
  if (s.ipVersion === 4) {
    if (snap < s.l3 + 20) return 'IPv4 header';
    const ihl = (d[s.l3] & 15) * 4;
    if (snap < s.l3 + ihl) return 'IPv4 options';
    const frag = d.readUInt16BE(s.l3 + 6) & 0x3fff;
    if (frag !== 0) return snap < s.l3 + d.readUInt16BE(s.l3 + 2) ? 'IPv4 fragment' : null;
  } else {
    if (snap < s.l3 + 40) return 'IPv6 header';
    if (s.l4 >= 0 && snap < s.l4) return 'IPv6 extension headers';
  }
  if (s.l4 < 0) return null;
  const need = s.proto === 6 ? 20 : s.proto === 17 ? 8 : s.proto === 1 || s.proto === 58 ? 4 : 0;
  return snap < s.l4 + need ? 'transport header' : null;
}

const files = captureFiles(PCAPS).map((f) => {
  const name = relative(PCAPS, f);
  return { name, seeds: readCaptureSeeds(f, name, 0) };
});
const full = new Map(files.map((f) => [f.name, replay(f.seeds, Infinity)]));

test('R4: the corpus replays at full length without exceptions (baseline for the sweep)', () => {
  assert.ok(files.length >= 50, `only ${files.length} corpus captures`);
  const exc = [...full.values()].flatMap((r) => r.exceptions);
  assert.deepEqual(exc, []);
});

for (const snap of SNAPS) {
  test(`R4: every corpus capture at snap length ${snap}: no exception, cut headers become truncated weirds`, (t) => {
    const exceptions: string[] = [];
    const missingWeird: string[] = [];
    const wrongFlow: string[] = [];
    let cutPackets = 0;
    let cutHeaders = 0;
    let survivors = 0;
    let truncWeirds = 0;
    let records = 0;
    for (const f of files) {
      const base = full.get(f.name)!;
      const r = replay(f.seeds, snap);
      exceptions.push(...r.exceptions);
      assert.equal(r.packets, f.seeds.length, `${f.name}: every record reaches the engine`);
      records += r.records;
      for (const [name, n] of r.weirds) if (TRUNCATED.test(name)) truncWeirds += n;
      for (let i = 0; i < f.seeds.length; i++) {
        const s = f.seeds[i];
        if (s.data.length > snap) cutPackets++;
        const b = base.outcomes[i];
        if (b.weirds.length > 0) continue; // already odd at full length: no expectation
        const o = r.outcomes[i];
        const cut = headerCut(s, snap);
        if (cut) {
          cutHeaders++;
          if (!o.weirds.some((w) => TRUNCATED.test(w))) {
            missingWeird.push(`${s.name}: ${cut} cut at ${snap} of ${s.data.length} bytes, weirds [${o.weirds.join(', ')}]`);
          }
          if (o.flowed) wrongFlow.push(`${s.name}: ${cut} cut but the packet made a flow`);
        } else if (b.flowed) {
          survivors++;
          if (!o.flowed) wrongFlow.push(`${s.name}: headers fit in ${snap} bytes but the packet made no flow (weirds [${o.weirds.join(', ')}])`);
        }
      }
    }
    t.diagnostic(`snap ${snap}: ${cutPackets} packets cut, ${cutHeaders} with a cut header, ${survivors} whose headers survive, ${truncWeirds} truncated weirds, ${records} records`);
    assert.deepEqual(exceptions, [], 'exceptions escaped the engine');
    assert.deepEqual(missingWeird.slice(0, 20), [], `${missingWeird.length} packets with a cut header got no truncated weird`);
    assert.deepEqual(wrongFlow.slice(0, 20), [], `${wrongFlow.length} packets counted to flows wrongly`);
    if (cutHeaders > 0) assert.ok(truncWeirds >= cutHeaders, `${truncWeirds} truncated weirds for ${cutHeaders} cut headers`);
    assert.ok(cutPackets > 0);
  });
}
