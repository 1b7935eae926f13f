/**
 * R3: every capture of the shared corpus, broken ones included, goes through the whole engine
 * and the log writers without an exception; damaged files say where the damage is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { analyzeFile, PCAPS } from '../helpers/analyze.js';

function captures(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...captures(p));
    else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(name)) out.push(p);
  }
  return out;
}

/** The corpus's damaged files (MANIFEST.md, "Corrupt files come in three kinds"). */
const DAMAGED: Record<string, number> = {
  'ics-security-tools/melsoft_129_clean.pcap': 2041,
  'suricata-verify/tls_DER-incomplete-header.pcap': 6,
};

test('every corpus capture is analysed without a crash, damaged ones up to the damage', async () => {
  const files = captures(PCAPS);
  assert.ok(files.length >= 54, `found ${files.length} captures`);
  let packets = 0;
  for (const f of files) {
    const rel = relative(PCAPS, f);
    const r = await analyzeFile(f);
    const s = r.summary;
    assert.ok(s.packets > 0, `${rel}: packets were read`);
    packets += s.packets;
    const problem = s.files[0].problem;
    if (rel in DAMAGED) {
      assert.ok(problem, `${rel}: the damage is reported`);
      assert.equal(s.packets, DAMAGED[rel], `${rel}: every record before the damage is analysed`);
    } else {
      assert.equal(problem, null, `${rel}: no damage reported (${problem})`);
    }
    // Records reach the logs for every capture that has IP or ARP traffic.
    const ip = s.counters['decoder.ipv4'] + s.counters['decoder.ipv6'] + s.counters['decoder.arp'];
    if (ip > 0) assert.ok(r.of('conn').length + r.of('arp').length > 0, `${rel}: conn or arp records`);
  }
  // The corpus holds 11,612 Ethernet packets in 51 files plus the cooked and damaged ones.
  assert.ok(packets > 11_000, `${packets} packets in all`);
});
