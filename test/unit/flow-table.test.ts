import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowTable, KEY_WORDS, TimeoutClass } from '../../src/flow/table.js';
import { analyzeFile, pcap } from '../helpers/analyze.js';

function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

test('flow table agrees with a Map model under random insert/find/remove, both directions', () => {
  const cap = 512;
  const t = new FlowTable(cap, 12345);
  const model = new Map<string, number>();
  const r = rng(7);
  const src = new Uint32Array(4);
  const dst = new Uint32Array(4);
  const keyOf = (a: number, b: number, pa: number, pb: number) => `${a}|${b}|${pa}|${pb}`;
  for (let step = 0; step < 200_000; step++) {
    // Few distinct addresses/ports, so collisions, reinsertions and both orientations happen often.
    const a = Math.floor(r() * 40);
    const b = Math.floor(r() * 40);
    const pa = Math.floor(r() * 8);
    const pb = Math.floor(r() * 8);
    src[0] = a; dst[0] = b;
    const ports = ((pa << 16) | pb) >>> 0;
    const meta = 6 | (4 << 8);
    const h = t.hashOf(src, dst, pa, pb, meta);
    const f = t.find(h, src, dst, ports, meta);
    const fwd = model.get(keyOf(a, b, pa, pb));
    const rev = model.get(keyOf(b, a, pb, pa));
    if (fwd !== undefined) {
      assert.equal(f, fwd);
      assert.equal(t.isOrig, 1);
    } else if (rev !== undefined) {
      assert.equal(f, rev);
      assert.equal(t.isOrig, 0);
    } else {
      assert.equal(f, -1);
    }
    if (f >= 0 && r() < 0.4) {
      const k = f * KEY_WORDS;
      model.delete(keyOf(t.key[k], t.key[k + 4], t.key[k + 8] >>> 16, t.key[k + 8] & 0xffff));
      t.remove(f);
    } else if (f < 0 && !t.full) {
      model.set(keyOf(a, b, pa, pb), t.insert(h, src, dst, ports, meta, TimeoutClass.Datagram));
    }
    assert.equal(t.active, model.size);
  }
  assert.ok(t.created > 1000, 'the model run exercised many inserts');
});

test('the flow cap holds on a real scan: evictions are counted and every flow still becomes a conn record', async () => {
  const cap = 64;
  const r = await analyzeFile(pcap('ndpi/synscan.pcap'), { maxFlows: cap });
  const s = r.summary;
  assert.ok(s.flows > cap * 10, `created ${s.flows} flows`);
  assert.ok(s.counters['flow.evicted'] > 0, 'evictions are counted');
  assert.equal(r.of('conn').length, s.flows, 'an evicted flow is logged, not lost');
  assert.equal(s.counters['flow.ended'], s.flows);
  const unlimited = await analyzeFile(pcap('ndpi/synscan.pcap'));
  assert.equal(unlimited.summary.counters['flow.evicted'], 0);
  // Same packets either way: eviction only splits flows, never drops packets.
  const pk = (x: typeof r) => x.of('conn').reduce((n, c) => n + Number(c.orig_pkts) + Number(c.resp_pkts), 0);
  assert.equal(pk(r), pk(unlimited));
});
