/**
 * DNS, mDNS and LLMNR through the real engine on corpus captures, compared with the answer keys of
 * Zeek (dns.log, conn.log), Suricata-verify (EVE dns/mdns checks), Arkime (session dns.*) and
 * nDPI. Expected values not in an oracle were read by hand with tshark (noted where used).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ORACLES, analyzeFile, pcap } from '../helpers/analyze.js';
import type { LogFields } from '../../src/decode/app/analyzer.js';
import { readZeekTsv } from './oracles.js';


const unset = (v: string): boolean => v === '-';
const bool = (v: string): boolean => v === 'T';

/** A Zeek dns.log row in our JSON shape, for the fields both sides define. */
function zeekDnsRow(z: Record<string, string>): LogFields {
  const o: LogFields = {
    'id.orig_h': z['id.orig_h'], 'id.orig_p': Number(z['id.orig_p']), 'id.resp_h': z['id.resp_h'],
    'id.resp_p': Number(z['id.resp_p']), proto: z.proto, trans_id: Number(z.trans_id),
  };
  if (!unset(z.query)) o.query = z.query;
  if (!unset(z.qclass)) { o.qclass = Number(z.qclass); o.qclass_name = z.qclass_name; }
  if (!unset(z.qtype)) { o.qtype = Number(z.qtype); o.qtype_name = z.qtype_name; }
  if (!unset(z.rcode)) { o.rcode = Number(z.rcode); o.rcode_name = z.rcode_name; }
  o.AA = bool(z.AA); o.TC = bool(z.TC); o.RD = bool(z.RD); o.RA = bool(z.RA); o.Z = Number(z.Z);
  if (!unset(z.answers)) { o.answers = z.answers.split(','); o.TTLs = z.TTLs.split(',').map(Number); }
  o.rejected = bool(z.rejected);
  o.opcode = Number(z.opcode);
  o.opcode_name = z.opcode_name;
  if (!unset(z.rtt)) o.rtt = Number(z.rtt);
  return o;
}

/** Ours, restricted to Zeek's fields, rtt rounded to Zeek's 6 decimals. */
function ourDnsRow(r: LogFields): LogFields {
  const o: LogFields = {};
  for (const k of ['id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'trans_id', 'query', 'qclass',
    'qclass_name', 'qtype', 'qtype_name', 'rcode', 'rcode_name', 'AA', 'TC', 'RD', 'RA', 'Z', 'answers', 'TTLs',
    'rejected', 'opcode', 'opcode_name']) {
    if (r[k] !== undefined) o[k] = r[k];
  }
  if (typeof r.rtt === 'number') o.rtt = Number(r.rtt.toFixed(6));
  return o;
}

/** Multiset comparison: row order across flows is engine-defined, so compare sorted JSON. */
function sameRows(ours: LogFields[], theirs: LogFields[], what: string): void {
  const a = ours.map((r) => JSON.stringify(r)).sort();
  const b = theirs.map((r) => JSON.stringify(r)).sort();
  assert.deepEqual(a, b, what);
}

test('zeek wikipedia.pcap: every DNS/mDNS/LLMNR row of dns.log, field by field', async () => {
  const r = await analyzeFile(pcap('zeek/wikipedia.pcap'));
  const zeek = readZeekTsv(join(ORACLES, 'zeek/wikipedia.pcap.zeek.dns.log'));
  // Zeek's DNS analyzer also runs on NetBIOS (137); Vigil logs those in netbios.log (below).
  const zeekDns = zeek.filter((z) => z['id.resp_p'] !== '137');
  assert.equal(zeekDns.length, 26);
  sameRows(r.of('dns').map(ourDnsRow), zeekDns.map(zeekDnsRow), 'dns.log rows');
  // The NetBIOS rows: same transactions and decoded names.
  const zeekNb = zeek.filter((z) => z['id.resp_p'] === '137').map((z) => z.trans_id + ' ' + z.query).sort();
  assert.equal(zeekNb.length, 8);
  assert.deepEqual(r.of('netbios').map((n) => n.trans_id + ' ' + n.name).sort(), zeekNb);
});

test('zeek dns-txt-multiple.pcap: CNAME chain and multi-string TXT as Zeek renders them', async () => {
  const r = await analyzeFile(pcap('zeek/dns-txt-multiple.pcap'));
  const [z] = readZeekTsv(join(ORACLES, 'zeek/dns-txt-multiple.pcap.zeek.dns.log'));
  const ours = r.of('dns');
  assert.equal(ours.length, 1);
  const want = zeekDnsRow(z);
  const got = ourDnsRow(ours[0]);
  // Zeek ran without -C and dropped the query (its UDP checksum is bad), so it logged the
  // response alone: no question fields and RD unset. Everything the response carries must agree.
  for (const k of ['id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'trans_id', 'query', 'rcode',
    'rcode_name', 'AA', 'TC', 'RA', 'Z', 'answers', 'TTLs', 'rejected', 'opcode_name']) {
    assert.deepEqual(got[k], want[k], k);
  }
  if (ours[0].qtype !== undefined) {
    // Our engine saw the query too (checksums not enforced): then the question must be right.
    assert.equal(ours[0].qtype_name, 'TXT');
    assert.equal(ours[0].qclass_name, 'C_INTERNET');
  }
});

test('zeek pcapng-multi-interface.pcapng: the three DNS flows are service dns, with records', async () => {
  const r = await analyzeFile(pcap('zeek/pcapng-multi-interface.pcapng'));
  const zeek = readZeekTsv(join(ORACLES, 'zeek/pcapng-multi-interface.pcapng.zeek.conn.log'));
  const key = (c: LogFields | Record<string, string>): string => `${c['id.orig_h']}:${c['id.orig_p']}`;
  const conns = new Map(r.of('conn').map((c) => [key(c), c]));
  for (const z of zeek) {
    const c = conns.get(key(z));
    assert.ok(c, key(z));
    assert.equal(c.service, z.service);
  }
  // Queries read with tshark: www.apple.com A, google.com A, google.com AAAA; all answered.
  const dns = r.of('dns').map((d) => `${d.query} ${d.qtype_name} ${d.rcode_name} ${(d.answers as string[]).length}`).sort();
  assert.deepEqual(dns, ['google.com A NOERROR 6', 'google.com AAAA NOERROR 4', 'www.apple.com A NOERROR 4']);
});

test('suricata-verify dns-google-a-aaaa-mx: three responses (A, AAAA, MX), no lone requests', async () => {
  const r = await analyzeFile(pcap('suricata-verify/dns-google-a-aaaa-mx.pcap'));
  const dns = r.of('dns');
  assert.equal(dns.length, 3);
  for (const d of dns) {
    assert.equal(d.rcode_name, 'NOERROR', 'every transaction has its response');
    assert.equal(d.query, 'google.com');
  }
  const byType = new Map(dns.map((d) => [d.qtype_name, d.answers as string[]]));
  assert.equal(byType.get('A')?.length, 12);
  assert.ok(byType.get('A')?.includes('216.197.242.244'));
  assert.deepEqual(byType.get('AAAA'), ['2607:f8b0:400f:801::200e']);
  assert.deepEqual(byType.get('MX'), ['aspmx.l.google.com', 'alt1.aspmx.l.google.com', 'alt2.aspmx.l.google.com',
    'alt3.aspmx.l.google.com', 'alt4.aspmx.l.google.com']);
});

test('arkime dns-udp: query host, type, class, status and answer-section data per session', async () => {
  const r = await analyzeFile(pcap('arkime/dns-udp.pcap'));
  const ark = JSON.parse(readFileSync(join(ORACLES, 'arkime/dns-udp.pcap.arkime.test.json'), 'utf8')) as
    { sessions3: { body: { source: { port: number }; dns?: Record<string, unknown>[] } }[] };
  const dns = r.of('dns');
  assert.equal(dns.length, 3);
  for (const s of ark.sessions3) {
    const a = s.body.dns?.[0];
    if (a === undefined) continue;
    const ours = dns.find((d) => d['id.orig_p'] === s.body.source.port);
    assert.ok(ours, String(s.body.source.port));
    assert.equal(ours.query, a.queryHost);
    assert.equal(ours.qtype_name === '*' ? 'ANY' : ours.qtype_name, a.qt);
    assert.equal(ours.qclass_name === 'C_INTERNET' ? 'IN' : ours.qclass_name, a.qc);
    assert.equal(ours.rcode_name, a.status);
    const arkAnswers = (a.answers as Record<string, unknown>[] | undefined) ?? [];
    // Arkime lists every section; the answer section is its CNAME + A part, in order.
    const answerPart = arkAnswers.filter((x) => x.type === 'CNAME' || (x.type === 'A' && x.name === 'github.com'));
    assert.deepEqual(ours.answers ?? [], answerPart.map((x) => x.cname ?? x.ip));
    assert.deepEqual(ours.TTLs ?? [], answerPart.map((x) => x.ttl));
    for (const ip of (a.ip as string[] | undefined) ?? []) assert.ok((ours.answers as string[]).includes(ip));
  }
});

test('ndpi dns_exfiltration: 150 dnscat transactions, first name as nDPI saw it', async () => {
  const r = await analyzeFile(pcap('ndpi/dns_exfiltration.pcap'));
  const ndpi = readFileSync(join(ORACLES, 'ndpi/dns_exfiltration.pcap.ndpi.out'), 'utf8');
  const host = /\[Hostname\/SNI: ([^\]]+)\]/.exec(ndpi)?.[1];
  assert.ok(host);
  const dns = r.of('dns');
  assert.equal(dns.length, 150, 'nDPI: 150 packets each way on one flow');
  const first = dns.reduce((x, y) => ((x.ts as number) <= (y.ts as number) ? x : y));
  assert.ok((first.query as string).endsWith(host), 'nDPI keeps the tail of the first query name');
  for (const d of dns) {
    assert.ok((d.query as string).startsWith('dnscat.'));
    assert.equal(d.rcode_name, 'NOERROR');
    assert.ok(['CNAME', 'MX', 'TXT'].includes(d.qtype_name as string));
  }
  const conn = r.of('conn').filter((c) => c['id.resp_p'] === 53);
  assert.equal(conn.length, 1);
  assert.equal(conn[0].service, 'dns');
});

test('suricata-verify mdns-ipv6-frag-9: the announced iMac names and TXT, and the three queries', async () => {
  const r = await analyzeFile(pcap('suricata-verify/mdns-ipv6-frag-9.pcap'));
  const dns = r.of('dns');
  const resp = dns.find((d) => (d.answers as string[] | undefined)?.some((a) => a.startsWith('TXT ')));
  assert.ok(resp, 'the response of packet 6');
  assert.deepEqual(resp.answers, ['TXT 14 model=iMac17,1 TXT 10 osxvers=17', 'john’s imac._companion-link._tcp.local']);
  const names = resp.mdns_names as string[];
  assert.ok(names.includes('John’s iMac._device-info._tcp.local'), 'answers[0].rrname');
  assert.ok(names.includes('John’s iMac._companion-link._tcp.local'), 'answers[1].ptr');
  // The request of packet 11 (same flow, id 0) pairs with it as in Zeek; its last question names it.
  const q = dns.filter((d) => d.query === '_apple-pairable._tcp.local');
  assert.equal(q.length, 1);
  assert.equal(q[0].qtype_name, 'PTR');
});

test('zeek mdns.pcap: host name announced over IPv4 and IPv6 reaches mdns_names', async () => {
  const r = await analyzeFile(pcap('zeek/mdns.pcap'));
  const dns = r.of('dns');
  // tshark: 12 queries and 6 responses on two flows, all with id 0; Zeek pairs them in order.
  assert.equal(dns.length, 12);
  assert.equal(dns.filter((d) => d.rcode_name === 'NOERROR').length, 6);
  for (const d of dns.filter((x) => x.rcode_name !== undefined)) {
    assert.ok((d.mdns_names as string[]).includes('johanna-QEMU-Virtual-Machine.local'));
    assert.ok((d.answers as string[]).includes('johanna-qemu-virtual-machine.local'));
  }
  const v4 = dns.filter((d) => d['id.orig_h'] === '10.0.2.7' && Array.isArray(d.answers));
  assert.ok(v4.every((d) => (d.answers as string[]).includes('10.0.2.7')));
  for (const c of r.of('conn').filter((x) => x['id.resp_p'] === 5353)) assert.equal(c.service, 'dns');
});
