import { test } from 'node:test';
import assert from 'node:assert/strict';
import { communityId, icmpPorts } from '../../src/flow/community-id.js';

const v4 = (s: string) => Uint8Array.from(s.split('.').map(Number));
function v6(s: string): Uint8Array {
  const out = new Uint8Array(16);
  const groups = s.split(':');
  groups.forEach((g, i) => {
    const x = parseInt(g, 16);
    out[i * 2] = x >> 8;
    out[i * 2 + 1] = x & 255;
  });
  return out;
}

// The spec's test vectors (corelight/community-id-spec, formats.md §1.10), both seeds.
test('Community ID reproduces the spec vectors for TCP, UDP and SCTP in both directions', () => {
  const a = v4('1.2.3.4');
  const b = v4('5.6.7.8');
  const cases: [number, string, string][] = [
    [6, '1:wCb3OG7yAFWelaUydu0D+125CLM=', '1:HhA1B+6CoLbiKPEs5nhNYN4XWfk='],
    [17, '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=', '1:OShq+iKDAMVouh/4bMxB9Sz4amw='],
    [132, '1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=', '1:uitchpn5MMGAQKBJh7bIr/bAr7s='],
  ];
  for (const [proto, s0, s1] of cases) {
    assert.equal(communityId(0, proto, a, b, 1122, 3344), s0);
    assert.equal(communityId(0, proto, b, a, 3344, 1122), s0);
    assert.equal(communityId(1, proto, a, b, 1122, 3344), s1);
  }
});

test('Community ID maps ICMP and ICMPv6 types as the spec does', () => {
  const a = v4('1.2.3.4');
  const b = v4('5.6.7.8');
  const [s, d, one] = icmpPorts(false, 8, 0);
  assert.equal(communityId(0, 1, a, b, s, d, one), '1:crodRHL2FEsHjbv3UkRrfbs4bZ0=');
  const [rs, rd, rone] = icmpPorts(false, 0, 0);
  assert.equal(communityId(0, 1, b, a, rs, rd, rone), '1:crodRHL2FEsHjbv3UkRrfbs4bZ0=');
  assert.equal(communityId(1, 1, a, b, s, d, one), '1:9pr4ZGTICiuZoIh90RRYE2RyXpU=');
  const [ts, td, tone] = icmpPorts(false, 11, 0);
  assert.equal(communityId(0, 1, a, b, ts, td, tone), '1:f/YiSyWqczrTgfUCZlBUnvHRcPk=');
  assert.equal(communityId(1, 1, a, b, ts, td, tone), '1:1DD7cWGC/Yg91YGsQeni8du3pIA=');
  const x = v6('fe80:0001:0203:0405:0607:0809:0a0b:0c0d');
  const y = v6('fe80:1011:1213:1415:1617:1819:1a1b:1c1d');
  const [es, ed, eone] = icmpPorts(true, 128, 0);
  assert.equal(communityId(0, 58, x, y, es, ed, eone), '1:0bf7hyMJUwt3fMED7z8LIfRpBeo=');
  assert.equal(communityId(1, 58, x, y, es, ed, eone), '1:IO27GQzPuCtNnwFvjWALMHu5tJE=');
  const [ps, pd, pone] = icmpPorts(true, 146, 0);
  assert.equal(communityId(0, 58, x, y, ps, pd, pone), '1:fYC8+pz24E+EhANP1EZhpX0Dw10=');
  assert.equal(communityId(1, 58, x, y, ps, pd, pone), '1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=');
});

test('Community ID hashes port-less protocols on addresses only', () => {
  assert.equal(communityId(0, 46, v4('1.2.3.4'), v4('5.6.7.8'), 0, 0), '1:ikv3kmf89luf73WPz1jOs49S768=');
  assert.equal(communityId(1, 46, v4('1.2.3.4'), v4('5.6.7.8'), 0, 0), '1:/buhqeOmaRCopOZFy9HnoJd5XW8=');
  const x = v6('fe80:0001:0203:0405:0607:0809:0a0b:0c0d');
  const y = v6('fe80:1011:1213:1415:1617:1819:1a1b:1c1d');
  assert.equal(communityId(0, 46, x, y, 0, 0), '1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=');
  assert.equal(communityId(1, 46, x, y, 0, 0), '1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=');
  // A real-pcap vector from the spec's baseline (also Suricata's documentation example).
  assert.equal(communityId(0, 6, v4('128.232.110.120'), v4('66.35.250.204'), 34855, 80), '1:LQU9qZlK+B5F3KDmev6m5PMibrg=');
});
