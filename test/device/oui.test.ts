/**
 * Vendor lookup from the IEEE registry (oui-data, read in place from node_modules) checked against
 * the registry file itself and against Arkime's answers for the corpus captures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { isRandomized, isUnicastMac, loadOui, normalizeMac, ouiStats, tidyVendor, vendorOf } from '../../src/device/oui.js';
import { ORACLES, pcap } from '../helpers/analyze.js';
import { inventoryOf } from './run-inventory.js';

const registry = createRequire(import.meta.url)('oui-data') as Record<string, string>;

function macFrom(prefix: string): string {
  return (prefix + '000000000000').slice(0, 12).toLowerCase().replace(/(..)(?!$)/g, '$1:');
}

test('the registry loads once, in bounded time, and reports its size', (t) => {
  loadOui();
  const s = ouiStats();
  t.diagnostic(`oui: ${s.entries} prefixes, load ${s.loadMs.toFixed(0)} ms, heap growth during load ${(s.heapBytes / 1e6).toFixed(1)} MB`);
  assert.equal(s.entries, Object.keys(registry).length, 'every prefix of the package is loaded');
  assert.ok(s.loadMs < 3000, `load took ${s.loadMs} ms`);
  loadOui();
  assert.equal(ouiStats().loadMs, s.loadMs, 'a second load is a no-op');
});

test('every MA-L, MA-M and MA-S block resolves to the first line of its registry record, longest block first', () => {
  const keys = Object.keys(registry);
  const bySize = { 6: 0, 7: 0, 9: 0 } as Record<number, number>;
  for (const k of keys) {
    // The MAC at the start of each block; a longer block starting at the same MAC owns it.
    const h = (k + '000000').slice(0, 12);
    const record = registry[h.slice(0, 9)] ?? registry[h.slice(0, 7)] ?? registry[h.slice(0, 6)];
    assert.equal(vendorOf(macFrom(k)), tidyVendor(record.split('\n')[0]), `block ${k}`);
    bySize[k.length]++;
  }
  assert.ok(bySize[6] > 30000 && bySize[7] > 5000 && bySize[9] > 5000, JSON.stringify(bySize));
  // 70:B3:D5 is the IEEE's own MA-L, carved into MA-S blocks: the MA-S owner wins over the MA-L.
  const mas = keys.find((k) => k.length === 9 && k.startsWith('70B3D5'));
  assert.ok(mas !== undefined);
  assert.equal(tidyVendor(registry['70B3D5'].split('\n')[0]), 'IEEE Registration Authority');
  assert.notEqual(vendorOf(macFrom(mas)), 'IEEE Registration Authority');
});

test('vendor names are tidied: one line, single spaces, all-capitals names title-cased, Private is no vendor', () => {
  assert.equal(vendorOf('00:1f:5b:ff:51:cb'), 'Apple, Inc.');
  assert.equal(vendorOf('00-50-56-33-78-9E'), 'VMware, Inc.', 'dashes and upper case are accepted');
  assert.equal(vendorOf('0050.5633.789e'), 'VMware, Inc.', 'Cisco dotted form is accepted');
  assert.equal(tidyVendor('JETCELL, INC.'), 'Jetcell, Inc.');
  assert.equal(tidyVendor('HSING TECH. ENTERPRISE CO. LTD'), 'Hsing Tech. Enterprise Co. Ltd');
  assert.equal(tidyVendor('TP-LINK  TECHNOLOGIES CO.,LTD.'), 'TP-Link Technologies Co.,Ltd.');
  assert.equal(tidyVendor('CP PLUS GMBH & CO. KG'), 'Cp Plus GmbH & Co. KG');
  assert.equal(tidyVendor('Private'), null);
  const priv = Object.keys(registry).find((k) => registry[k].trim() === 'Private' && k.length === 6);
  assert.ok(priv !== undefined);
  assert.equal(vendorOf(macFrom(priv)), null);
  assert.equal(vendorOf('not a mac'), null);
  assert.equal(vendorOf('00:1f:5b:ff:51'), null, 'five octets are not a MAC');
});

test('randomised (locally administered) and unicast bits', () => {
  assert.equal(isRandomized('8a:3c:d6:e1:4d:c4'), true); // zeek/mdns.pcap: a VM with a random MAC
  assert.equal(isRandomized('02:00:00:00:00:01'), true);
  assert.equal(isRandomized('00:1f:5b:ff:51:cb'), false);
  assert.equal(isRandomized('a8:60:b6:0b:27:cd'), false);
  assert.equal(isUnicastMac('00:1f:5b:ff:51:cb'), true);
  assert.equal(isUnicastMac('01:00:5e:00:00:fb'), false, 'IPv4 multicast');
  assert.equal(isUnicastMac('33:33:00:00:00:01'), false, 'IPv6 multicast');
  assert.equal(isUnicastMac('ff:ff:ff:ff:ff:ff'), false, 'broadcast');
  assert.equal(isUnicastMac('00:00:00:00:00:00'), false, 'all zeros (iot-inspector capture)');
  assert.equal(normalizeMac('00-1F-5B-FF-51-CB'), '00:1f:5b:ff:51:cb');
  assert.equal(normalizeMac('zz:1f:5b:ff:51:cb'), null);
});

/** Registry editions spell names differently (`Co., Ltd.` vs `., Ltd`, `Fortinet, Inc.` vs `Fortinet Inc.`). */
function core(v: string): string {
  return v.toLowerCase().replace(/[^a-z0-9 ]/g, ' ')
    .split(/\s+/).filter((w) => w !== '' && !['inc', 'co', 'ltd', 'corp', 'corporation', 'llc', 'gmbh', 'limited', 'incorporated', 'company'].includes(w))
    .join(' ');
}

interface ArkimeSession {
  body: {
    source?: { mac?: string[] };
    destination?: { mac?: string[] };
    srcOui?: string[];
    dstOui?: string[];
  };
}

test('vendors agree with Arkime for every MAC of its corpus sessions, and the inventory carries them', async () => {
  const dir = join(ORACLES, 'arkime');
  const files = readdirSync(dir).filter((f) => f.endsWith('.arkime.test.json'));
  assert.ok(files.length >= 8);
  let sides = 0;
  let pairs = 0;
  let deviceChecks = 0;
  for (const f of files) {
    const sessions = (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { sessions3: ArkimeSession[] }).sessions3;
    // MAC -> Arkime's vendor, where a session side names exactly one MAC and one vendor.
    const oracle = new Map<string, string>();
    for (const s of sessions) {
      for (const [macs, ouis] of [[s.body.source?.mac, s.body.srcOui], [s.body.destination?.mac, s.body.dstOui]] as const) {
        if (!macs || macs.length === 0) continue;
        // Per side, the set of vendors must match: Arkime lists each vendor once, in its own order.
        const mine = new Set(macs.map((m) => vendorOf(m)).filter((v): v is string => v !== null).map(core));
        const theirs = new Set((ouis ?? []).map(core));
        assert.deepEqual([...mine].sort(), [...theirs].sort(), `${f}: MACs ${macs.join(' ')}`);
        sides++;
        if (macs.length === 1 && ouis?.length === 1) oracle.set(macs[0], ouis[0]);
      }
    }
    pairs += oracle.size;
    // The inventory built from the same capture reports the same vendor for those devices.
    const { inv } = await inventoryOf(pcap(join('arkime', f.replace(/\.arkime\.test\.json$/, ''))));
    for (const d of inv.all()) {
      const want = oracle.get(d.mac);
      if (want === undefined || d.vendor === null) continue;
      assert.equal(core(d.vendor), core(want), `${f}: device ${d.mac}`);
      deviceChecks++;
    }
  }
  assert.ok(sides >= 25, `${sides} session sides compared`);
  assert.ok(pairs >= 12, `${pairs} one-MAC sides`);
  assert.ok(deviceChecks >= 10, `${deviceChecks} inventory devices compared`);
});
