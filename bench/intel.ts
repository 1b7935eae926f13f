/**
 * Intel benchmark (issue 4, "Must show" 5, first half): load time and memory for one million mixed
 * indicators, and lookups per second.
 *
 * The feeds are generated as TEXT in the formats Vigil reads, in a temp dir: FireHOL `.ipset`
 * (IPv4) and `.netset` (IPv4 networks /12-/31), IPsum (IPv4 with counts), a plain list of IPv6
 * addresses and networks (/32-/120), a hosts file, a domain list and a Zeek intel file (domains),
 * a URLhaus CSV (one reference link per row) and a plain URL list, and an SSLBL JA3 CSV. A child
 * Node started with `--expose-gc` reads the lookup queries, collects garbage, measures, loads the
 * files with `loadIntelFiles` (parse + build), collects garbage again and measures: heap +
 * array-buffer delta (the set lives mostly in typed arrays, outside the JS heap) and RSS delta.
 * Then it times `matchIp` and `matchDomain` on hits (listed addresses; names one and two labels
 * below a listed domain) and misses. The child runs with the sensor's Node flags
 * (`SENSOR_NODE_FLAGS`: bounded old space, 8 MiB semi-spaces): with Node's default young
 * generation (16 MiB semi-spaces, grown during the load and kept) RSS is ~30 MB higher for the
 * same heap.
 *
 * Targets: parse + build under 5 s; memory under 150 MB, both as heap + typed arrays and as RSS delta.
 *
 * Usage: node dist/bench/intel.js [--count N] [--json] [--dir DIR] [--lookups N] [--node-flags '--flag …']
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ipv4String, ipv6String } from '../src/util/addr.js';
import { NetValue, netVerdict } from '../src/intel/normalize.js';
import type { FeedDefaults, FeedFormat } from '../src/intel/types.js';
import { SENSOR_NODE_FLAGS } from '../src/sensor/runtime.js';

export const INTEL_TARGETS = { loadSeconds: 5, memoryMB: 150 };

export interface BenchIntelOptions {
  /** Indicators to generate (1,000,000). */
  count?: number;
  /** Scratch directory (a fresh temp dir under it is made and removed). */
  dir?: string;
  /** Lookups per measured loop (1,000,000). */
  lookups?: number;
  /** Node flags of the measuring child (default: the sensor's, `SENSOR_NODE_FLAGS`). */
  nodeFlags?: readonly string[];
}

export interface BenchIntelResult {
  generated: number;
  loaded: number;
  feeds: number;
  feedBytes: number;
  loadSeconds: number;
  heapDeltaMB: number;
  arrayBuffersDeltaMB: number;
  /** heap + array buffers: what the set holds. */
  memoryMB: number;
  rssDeltaMB: number;
  /** Node flags the child ran with (the young generation's size shows in RSS). */
  nodeFlags: readonly string[];
  lookupsPerSecond: { ipHit: number; ipMiss: number; domainHit: number; domainMiss: number };
  targets: typeof INTEL_TARGETS;
  pass: boolean;
}

interface FeedSpec {
  file: string;
  format: FeedFormat;
  defaults: FeedDefaults;
}

interface Queries {
  ipHit: string[];
  ipMiss: string[];
  domainHit: string[];
  domainMiss: string[];
}

// Deterministic xorshift32: the same feeds every run.
let seed = 0x9e3779b9;
function rnd(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

const net = new NetValue();

/** Indicators avoid 20.0.0.0-29.255.255.255, where the miss queries are drawn: a miss is a miss. */
function publicV4(prefix: number, miss = false): number {
  for (;;) {
    const r = rnd();
    const a = miss ? (((20 + (r % 10)) << 24) | (rnd() & 0xffffff)) >>> 0 : r;
    if (!miss && a >>> 24 >= 20 && a >>> 24 <= 29) continue;
    net.v6 = false;
    net.words.fill(0);
    net.words[0] = prefix === 32 ? a : (a & (0xffffffff << (32 - prefix))) >>> 0;
    net.prefix = prefix;
    if (netVerdict(net) === 'ok') return net.words[0];
  }
}

function publicV6(prefix: number): string {
  // 2400::/6-ish: global unicast clear of the IETF, documentation and 6to4 blocks.
  const w = new Uint32Array(4);
  w[0] = (0x24000000 + (rnd() % 0x08000000)) >>> 0;
  w[1] = rnd();
  w[2] = rnd();
  w[3] = rnd();
  let left = prefix;
  for (let k = 0; k < 4; k++) {
    const keep = left >= 32 ? 32 : left <= 0 ? 0 : left;
    w[k] = keep === 0 ? 0 : (w[k] & (0xffffffff << (32 - keep))) >>> 0;
    left -= 32;
  }
  const a = ipv6String(w, 0);
  return prefix === 128 ? a : a + '/' + prefix;
}

const WORDS = ['update', 'cdn', 'mail', 'secure', 'login', 'api', 'static', 'cloud', 'data', 'track', 'srv', 'net', 'host', 'panel', 'files'];
const TLDS = ['com', 'net', 'org', 'info', 'xyz', 'top', 'ru', 'cn', 'biz', 'io', 'online', 'site'];

function domain(i: number): string {
  return WORDS[rnd() % WORDS.length] + (rnd() % 100000).toString(36) + '-' + i.toString(36) + '.' + TLDS[rnd() % TLDS.length];
}

function hex(n: number): string {
  let s = '';
  while (s.length < n) s += rnd().toString(16).padStart(8, '0');
  return s.slice(0, n);
}

/** Writes the feeds; returns their specs, the lookup queries and the number of entries written. */
export function generateFeeds(dir: string, total: number): { feeds: FeedSpec[]; queries: Queries; generated: number; bytes: number } {
  seed = 0x9e3779b9;
  const share = (f: number): number => Math.round(total * f);
  const feeds: FeedSpec[] = [];
  const q: Queries = { ipHit: [], ipMiss: [], domainHit: [], domainMiss: [] };
  let generated = 0;
  let bytes = 0;
  const write = (file: string, format: FeedFormat, category: FeedDefaults['category'], lines: string[]): void => {
    const text = lines.join('\n') + '\n';
    writeFileSync(join(dir, file), text);
    bytes += text.length;
    feeds.push({ file, format, defaults: { feed: file.replace(/\..*$/, ''), category, severity: 'high', reference: 'https://example.org/' + file } });
  };
  const QN = 20000;

  // IPv4 addresses: FireHOL ipset (30 %) and IPsum (10 %).
  let lines = ['# bench-ipset', '# ipv4 hash:ip ipset', '#'];
  for (let i = 0; i < share(0.3); i++) {
    const a = ipv4String(publicV4(32));
    lines.push(a);
    if (q.ipHit.length < QN && i % 7 === 0) q.ipHit.push(a);
  }
  generated += share(0.3);
  write('bench-ipv4.ipset', 'firehol', 'c2', lines);
  lines = ['# IPsum Threat Intelligence Feed', '#'];
  for (let i = 0; i < share(0.1); i++) lines.push(ipv4String(publicV4(32)) + '\t' + (3 + (rnd() % 8)));
  generated += share(0.1);
  write('bench-ipsum.txt', 'ipsum', 'suspicious', lines);

  // IPv4 networks of 20 lengths, mostly /24 as in real feeds (10 %).
  lines = ['# bench-netset', '# ipv4 hash:net ipset'];
  const seenNets = new Set<string>();
  for (let i = 0; i < share(0.1); i++) {
    const r = rnd() % 1000;
    const len = r < 5 ? 12 + (r % 4) : r < 305 ? 16 + (r % 8) : r < 805 ? 24 : 25 + (r % 7); // /12 … /31
    const a = publicV4(len);
    const text = ipv4String(a) + '/' + len;
    if (seenNets.has(text)) { i--; continue; }
    seenNets.add(text);
    lines.push(text);
    if (q.ipHit.length < 2 * QN && i % 5 === 0) q.ipHit.push(ipv4String((a + 1) >>> 0));
  }
  generated += share(0.1);
  write('bench-nets.netset', 'firehol', 'hostile', lines);

  // IPv6 addresses and networks (10 %).
  lines = [];
  const v6lens = [32, 40, 48, 56, 64, 96, 112, 120];
  for (let i = 0; i < share(0.1); i++) {
    const len = i % 10 < 6 ? 128 : v6lens[rnd() % v6lens.length];
    lines.push(publicV6(len));
  }
  generated += share(0.1);
  write('bench-v6.txt', 'plain', 'suspicious', lines);

  // Domains (25 %): hosts file, domain list, Zeek intel.
  const dom = (n: number): string[] => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(domain(generated + i));
    return out;
  };
  let d = dom(share(0.1));
  generated += d.length;
  write('bench-hosts', 'hosts', 'privacy', ['# Title: bench hosts', '0.0.0.0 0.0.0.0', ...d.map((x) => '0.0.0.0 ' + x)]);
  for (let i = 0; i < d.length && q.domainHit.length < QN; i += 11) q.domainHit.push('www.' + d[i], 'a.b.' + d[i]);
  d = dom(share(0.1));
  generated += d.length;
  write('bench-domains.txt', 'domains', 'malware', d);
  d = dom(share(0.05));
  generated += d.length;
  write('bench-zeek.intel', 'zeek-intel', 'c2', ['#fields\tindicator\tindicator_type\tmeta.source\tmeta.do_notice\tmeta.desc',
    ...d.map((x) => x + '\tIntel::DOMAIN\tbench\tF\tC2')]);

  // URLs (10 %): URLhaus CSV (a link per row) and a plain URL list.
  lines = ['# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter'];
  for (let i = 0; i < share(0.04); i++) {
    const id = 3_000_000 + i;
    lines.push(`"${id}","2026-01-01 00:00:00","http://${domain(i)}/${hex(8)}.sh","online","2026-01-02","malware_download","elf,mirai","https://urlhaus.abuse.ch/url/${id}/","anonymous"`);
  }
  generated += share(0.04);
  write('bench-urlhaus.csv', 'abusech-csv', 'malware', lines);
  lines = [];
  for (let i = 0; i < share(0.06); i++) lines.push(`http://${ipv4String(publicV4(32))}:8080/${hex(6)}/bins/mips`);
  generated += share(0.06);
  write('bench-urls.txt', 'plain', 'malware', lines);

  // JA3 (5 %): SSLBL CSV.
  lines = ['# ja3_md5,Firstseen,Lastseen,Listingreason'];
  for (let i = 0; i < share(0.05); i++) lines.push(`${hex(32)},2017-07-14 18:08:15,2019-07-27 20:42:54,Dridex`);
  generated += share(0.05);
  write('bench-ja3.csv', 'abusech-csv', 'c2', lines);

  for (let i = 0; i < QN; i++) q.ipMiss.push(ipv4String(publicV4(32, true)));
  for (let i = 0; i < QN; i++) q.domainMiss.push('www.' + domain(10_000_000 + i));
  return { feeds, queries: q, generated, bytes };
}

function mb(n: number): number {
  return Math.round((n / 1048576) * 10) / 10;
}

export async function benchIntel(opts: BenchIntelOptions = {}): Promise<BenchIntelResult> {
  const total = opts.count ?? 1_000_000;
  const dir = mkdtempSync(join(opts.dir ?? tmpdir(), 'vigil-intel-bench-'));
  try {
    const g = generateFeeds(dir, total);
    writeFileSync(join(dir, 'plan.json'), JSON.stringify({ feeds: g.feeds, queries: g.queries, lookups: opts.lookups ?? 1_000_000 }));
    const self = fileURLToPath(import.meta.url);
    const nodeFlags = opts.nodeFlags ?? SENSOR_NODE_FLAGS;
    const r = spawnSync(process.execPath, ['--expose-gc', ...nodeFlags, self, '--child', dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error('intel bench child failed: ' + (r.stderr || r.stdout));
    const c = JSON.parse(r.stdout.trim().split('\n').pop() as string) as Omit<BenchIntelResult, 'generated' | 'feeds' | 'feedBytes' | 'targets' | 'pass' | 'nodeFlags'>;
    const res: BenchIntelResult = {
      generated: g.generated, feeds: g.feeds.length, feedBytes: g.bytes, ...c, nodeFlags, targets: INTEL_TARGETS,
      pass: c.loadSeconds < INTEL_TARGETS.loadSeconds && c.memoryMB < INTEL_TARGETS.memoryMB && c.rssDeltaMB < INTEL_TARGETS.memoryMB,
    };
    return res;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The measuring child: runs with --expose-gc so the figures are after collection. */
async function child(dir: string): Promise<void> {
  const { loadIntelFiles } = await import('../src/intel/load.js');
  const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as { feeds: FeedSpec[]; queries: Queries; lookups: number };
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run the child with --expose-gc');
  const files = plan.feeds.map((f) => ({ path: join(dir, f.file), format: f.format, defaults: f.defaults }));
  gc(); gc();
  const m0 = process.memoryUsage();
  const t0 = performance.now();
  const { set } = loadIntelFiles(files);
  const t1 = performance.now();
  gc(); gc();
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const m1 = process.memoryUsage();
  const time = (list: string[], fn: (s: string) => unknown): number => {
    const n = plan.lookups;
    let sink = 0;
    const s = performance.now();
    for (let i = 0; i < n; i++) sink += (fn(list[i % list.length]) as readonly unknown[]).length;
    const e = performance.now();
    if (sink < 0) console.log(sink);
    return Math.round(n / ((e - s) / 1000));
  };
  // Sanity: the hits are hits and the misses are misses, or the figures mean nothing.
  const hits = plan.queries.ipHit.filter((ip) => set.matchIp(ip).length > 0).length;
  const dHits = plan.queries.domainHit.filter((n) => set.matchDomain(n).length > 0).length;
  const misses = plan.queries.ipMiss.filter((ip) => set.matchIp(ip).length > 0).length;
  const dMisses = plan.queries.domainMiss.filter((n) => set.matchDomain(n).length > 0).length;
  if (hits !== plan.queries.ipHit.length || dHits !== plan.queries.domainHit.length || misses !== 0 || dMisses !== 0) {
    throw new Error(`lookup sanity: ${hits}/${plan.queries.ipHit.length} IP hits, ${dHits}/${plan.queries.domainHit.length} domain hits, ${misses} + ${dMisses} hits among misses`);
  }
  const lookupsPerSecond = {
    ipHit: time(plan.queries.ipHit, (s) => set.matchIp(s)),
    ipMiss: time(plan.queries.ipMiss, (s) => set.matchIp(s)),
    domainHit: time(plan.queries.domainHit, (s) => set.matchDomain(s)),
    domainMiss: time(plan.queries.domainMiss, (s) => set.matchDomain(s)),
  };
  const heap = m1.heapUsed - m0.heapUsed;
  const ab = m1.arrayBuffers - m0.arrayBuffers;
  console.log(JSON.stringify({
    loaded: set.size,
    loadSeconds: Math.round((t1 - t0) / 10) / 100,
    heapDeltaMB: mb(heap),
    arrayBuffersDeltaMB: mb(ab),
    memoryMB: mb(heap + ab),
    rssDeltaMB: mb(m1.rss - m0.rss),
    lookupsPerSecond,
  }));
}

export function formatIntelBench(r: BenchIntelResult): string {
  const l = r.lookupsPerSecond;
  return [
    `intel: ${r.loaded.toLocaleString('en')} indicators loaded of ${r.generated.toLocaleString('en')} generated in ${r.feeds} feeds (${mb(r.feedBytes)} MB of text)`,
    `  parse + build ${r.loadSeconds} s (target < ${r.targets.loadSeconds} s)`,
    `  memory ${r.memoryMB} MB = heap ${r.heapDeltaMB} + typed arrays ${r.arrayBuffersDeltaMB}; RSS +${r.rssDeltaMB} MB with node ${r.nodeFlags.join(' ')} (targets < ${r.targets.memoryMB} MB)`,
    `  lookups/s: matchIp hit ${l.ipHit.toLocaleString('en')}, miss ${l.ipMiss.toLocaleString('en')}; matchDomain hit ${l.domainHit.toLocaleString('en')}, miss ${l.domainMiss.toLocaleString('en')}`,
    `  ${r.pass ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string' }, json: { type: 'boolean' }, dir: { type: 'string' }, child: { type: 'string' }, lookups: { type: 'string' },
      'node-flags': { type: 'string' },
    },
  });
  if (values.child !== undefined) { await child(values.child); return; }
  const r = await benchIntel({
    count: values.count !== undefined ? Number(values.count) : undefined,
    dir: values.dir,
    lookups: values.lookups !== undefined ? Number(values.lookups) : undefined,
    nodeFlags: values['node-flags'] !== undefined ? values['node-flags'].split(/\s+/).filter((f) => f !== '') : undefined,
  });
  console.log(values.json === true ? JSON.stringify(r, null, 2) : formatIntelBench(r));
  if (!r.pass) process.exitCode = 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(2);
  });
}
