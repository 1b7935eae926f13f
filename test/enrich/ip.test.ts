import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRoutable, parseIp, unmapV4 } from '../../src/enrich/ip.js';
import { ipv6String } from '../../src/util/addr.js';

const w = new Uint32Array(4);

function v6(s: string): string | null {
  return parseIp(s, w) === 6 ? ipv6String(w) : null;
}

test('parseIp reads dotted IPv4 and rejects near misses', () => {
  assert.equal(parseIp('8.8.4.4', w), 4);
  assert.equal(w[0], 0x08080404);
  assert.equal(parseIp('255.255.255.255', w), 4);
  assert.equal(w[0], 0xffffffff);
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.04', '1..2.3', '1.2.3.4 ', 'a.b.c.d', '1.2.3.4/24', 'example.com', '.1.2.3']) {
    assert.equal(parseIp(bad, w), 0, bad);
  }
});

test('parseIp reads IPv6 forms the way the engine prints them', () => {
  assert.equal(v6('2001:4860:4860::8888'), '2001:4860:4860::8888');
  assert.equal(v6('2001:4860:4860:0:0:0:0:8888'), '2001:4860:4860::8888');
  assert.equal(v6('2001:4860:4860:0000:0000:0000:0000:8888'), '2001:4860:4860::8888');
  assert.equal(v6('::'), '::');
  assert.equal(v6('::1'), '::1');
  assert.equal(v6('fe80::1%eth0'), 'fe80::1');
  assert.equal(v6('2001:DB8::A'), '2001:db8::a');
  assert.equal(v6('1:2:3:4:5:6:7::'), '1:2:3:4:5:6:7:0');
  assert.equal(v6('::ffff:192.0.2.1'), '::ffff:192.0.2.1');
  assert.equal(v6('64:ff9b::192.0.2.1'), '64:ff9b::c000:201');
  for (const bad of [':', ':::', '1:::2', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::1', 'g::1', '1:2', '::1:', '::ffff:1.2.3', '::1.2.3.4.5']) {
    assert.equal(parseIp(bad, w), 0, bad);
  }
});

test('isRoutable: public unicast only', () => {
  const r = (s: string): boolean => isRoutable(w, unmapV4(w, parseIp(s, w)));
  for (const yes of ['8.8.8.8', '1.1.1.1', '208.80.152.3', '2001:4860:4860::8888', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8']) assert.equal(r(yes), true, yes);
  for (const no of ['10.1.2.3', '192.168.1.1', '172.16.0.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '224.0.0.251', '239.255.255.250', '255.255.255.255',
    '0.0.0.0', 'fe80::1', 'fd00::1', 'ff02::fb', '::1', '::', '2001:db8::1', '::ffff:192.168.1.1', 'not-an-ip']) assert.equal(r(no), false, no);
});
