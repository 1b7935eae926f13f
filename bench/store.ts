/**
 * Store benchmark (issue 3, "Must show" 4; docs/reliability.md D4):
 *
 * 1. Throughput: flows written per second through the batching writer with no budget.
 * 2. Flash budget: bytes written to disk per hour while the sensor would replay the benchmark
 *    capture at 20,000 packets/s. The flow and DNS rates come from the real capture
 *    (bench-small.pcap through the engine: conn and dns records per packet); FlowRows/DnsRows
 *    built from its real records are fed at those rates, on wall time, with the default budgets,
 *    for `seconds` of wall time, while `devices` devices are re-put every second (as the inventory
 *    does when last-seen times move); the bytes this process wrote (`/proc/self/io`: `write_bytes` minus
 *    `cancelled_write_bytes` = what reached the block layer, `wchar` = every byte handed to
 *    write()) are extrapolated to an
 *    hour. The store is closed inside the window, so its final checkpoint is counted too.
 *
 * Figures (2-core x86 VM, ext4, 60 s window, Node 20, SQLite 3.53; bench-small.pcap at 20,000
 * packets/s offers 4,246 flows/s and 1,271 DNS records/s; 30 devices re-put each second):
 *   defaults (1 KiB pages, batch 1 s, 8 flows/s + 4 DNS/s)   46.9 MB/h write_bytes, 42.7 MB/h wchar
 *   batch 2 s                                                  40.6                   36.1
 *   20 flows/s + 10 DNS/s                                      81.6                   75.3
 *   4 KiB pages                                                69.6                   67.2
 *   first design: ts and (device, ts) indexes, 20+10 rows/s  ~178                   ~159
 *   throughput without budget (one commit per 5,000 rows): 83,000-112,000 flows/s.
 * In WAL mode each commit rewrites the partly filled last page of every B-tree it touches plus
 * page 1 (the file grew), and a checkpoint writes each page again: so few B-trees per commit
 * (no secondary indexes on flows/dns), small pages, and the row budgets are what count.
 *
 * Usage: node dist/bench/store.js [--seconds S] [--pps N] [--capture FILE] [--rows N] [--json]
 *          store settings to compare: [--page-size N] [--autocheckpoint N] [--batch-ms N]
 *                                     [--flow-rate N] [--dns-rate N]
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { analyze } from '../src/engine/analyze.js';
import type { ConnInfo, LogFields } from '../src/decode/app/analyzer.js';
import type { ConnRecord } from '../src/flow/conn-record.js';
import type { RecordSink } from '../src/logs/record-sink.js';
import { STORE_DEFAULTS, openStore, type StoreOptions } from '../src/store/open.js';
import type { Device } from '../src/device/device.js';
import type { Direction, DnsRow, FlowRow } from '../src/store/store.js';

export const STORE_TARGET_MB_PER_HOUR = 50;
const DEFAULT_CAPTURE = '/tmp/vigil-bench/bench-small.pcap';
/** bench-small.pcap's figures, used when the capture is absent (make-inputs.sh builds it). */
const KNOWN = { packets: 2_008_876, flows: 426_477, dns: 0 };
/** Seconds fed before the measured window (spends the budgets' bursts). */
const WARMUP_S = 5;

export interface BenchStoreOptions {
  /** Scratch directory (a fresh temp dir under it is made and removed). */
  dir?: string;
  capture?: string;
  /** Replay rate the flash figure is for (20,000 packets/s). */
  pps?: number;
  /** Wall seconds of the flash run (60). */
  seconds?: number;
  /** Rows of the throughput run (200,000). */
  throughputRows?: number;
  /** Devices the flash run re-puts every second, as the inventory does (30). */
  devices?: number;
  /** Store options for both runs (page size, checkpoint, budgets …). */
  store?: Partial<StoreOptions>;
  log?: (line: string) => void;
}

export interface BenchStoreResult {
  source: { capture: string | null; packets: number; flows: number; dns: number; templates: number };
  throughput: { rows: number; seconds: number; rowsPerSecond: number; fileBytesPerRow: number };
  flash: {
    seconds: number;
    flowsPerSecond: number;
    dnsPerSecond: number;
    flowsOffered: number;
    flowsKept: number;
    dnsOffered: number;
    dnsKept: number;
    transactions: number;
    writeBytes: number;
    wchar: number;
    writeMBPerHour: number;
    wcharMBPerHour: number;
    bytesPerCommit: number;
    fileBytes: number;
    targetMBPerHour: number;
    pass: boolean;
  };
}

// ---- real rows from the capture --------------------------------------------------------------

interface Templates {
  flows: FlowRow[];
  dns: DnsRow[];
  packets: number;
  flowCount: number;
  dnsCount: number;
  capture: string | null;
}

function isPrivate(ip: string): boolean {
  if (ip.includes(':')) return /^(fe[89ab]|f[cd])/i.test(ip);
  const [a, b] = ip.split('.').map(Number);
  return a === 10 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 169 && b === 254);
}

/** Plausible enrichment (country, ASN, names) for external addresses: the enricher's output shape. */
const REMOTES = [
  { country: 'US', asn: 15169, org: 'GOOGLE', name: 'rr3---sn-4g5e6nzz.googlevideo.com', domain: 'googlevideo.com' },
  { country: 'IE', asn: 16509, org: 'AMAZON-02', name: 'device-metrics-us.amazon.com', domain: 'amazon.com' },
  { country: 'NL', asn: 13335, org: 'CLOUDFLARENET', name: 'cdn.jsdelivr.net', domain: 'jsdelivr.net' },
  { country: 'DE', asn: 8075, org: 'MICROSOFT-CORP-MSN-AS-BLOCK', name: 'settings-win.data.microsoft.com', domain: 'microsoft.com' },
  { country: 'US', asn: 32934, org: 'FACEBOOK', name: null, domain: null },
];

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function flowFromConn(r: ConnRecord): FlowRow {
  const op = isPrivate(r.origH);
  const rp = isPrivate(r.respH);
  const direction: Direction = op && rp ? 'local' : op ? 'out' : rp ? 'in' : 'external';
  const device = direction === 'in' ? r.respL2 || null : direction === 'external' ? null : r.origL2 || null;
  const remoteIp = direction === 'in' ? r.origH : r.respH;
  const ext = direction === 'out' || direction === 'in' ? REMOTES[hash(remoteIp) % REMOTES.length] : null;
  return {
    ts: r.ts, uid: r.uid, communityId: r.communityId, proto: r.proto, service: r.service,
    origH: r.origH, origP: r.origP, respH: r.respH, respP: r.respP, origMac: r.origL2, respMac: r.respL2,
    duration: r.duration > 0 ? r.duration : 0, origBytes: r.origBytes, respBytes: r.respBytes,
    origPkts: r.origPkts, respPkts: r.respPkts, connState: r.connState, history: r.history,
    device, direction, remoteIp,
    remoteCountry: ext?.country ?? null, remoteAsn: ext?.asn ?? null, remoteAsOrg: ext?.org ?? null,
    remoteName: ext?.name ?? null, remoteDomain: ext?.domain ?? null,
  };
}

async function templates(capture: string, keep: number): Promise<Templates> {
  let exists = false;
  try {
    exists = statSync(capture).isFile();
  } catch {
    exists = false;
  }
  if (!exists) return { ...synthetic(keep), packets: KNOWN.packets, flowCount: KNOWN.flows, dnsCount: KNOWN.dns, capture: null };
  const flows: FlowRow[] = [];
  const dns: DnsRow[] = [];
  let flowCount = 0;
  let dnsCount = 0;
  const sink: RecordSink = {
    wants: (p) => p === 'conn' || p === 'dns',
    conn: (r) => {
      flowCount++;
      if (flows.length < keep) flows.push(flowFromConn(r));
    },
    record: (_p: string, ts: number, c: ConnInfo | null, f: LogFields) => {
      dnsCount++;
      if (dns.length >= keep || c === null) return;
      const client = c.origH;
      dns.push({
        ts, uid: c.uid, client, server: c.respH, device: isPrivate(client) ? c.origMac || null : null,
        query: String(f.query ?? ''), qtype: String(f.qtype_name ?? ''), rcode: String(f.rcode_name ?? ''),
        answers: Array.isArray(f.answers) ? (f.answers as unknown[]).map(String) : [],
      });
    },
  };
  const summary = await analyze([capture], sink);
  return { flows, dns, packets: summary.packets, flowCount, dnsCount, capture };
}

function synthetic(n: number): { flows: FlowRow[]; dns: DnsRow[] } {
  const flows: FlowRow[] = [];
  for (let i = 0; i < n; i++) {
    const mac = `02:00:00:00:00:${(i % 40).toString(16).padStart(2, '0')}`;
    flows.push(flowFromConnLike(i, mac));
  }
  return { flows, dns: [] };
}

function flowFromConnLike(i: number, mac: string): FlowRow {
  const respH = `93.184.${(i >> 8) & 255}.${i & 255}`;
  const ext = REMOTES[hash(respH) % REMOTES.length];
  return {
    ts: 1_700_000_000 + i, uid: 'C' + i.toString(36).padStart(17, 'x'), communityId: '1:' + hash(String(i)).toString(36).padEnd(27, 'A'),
    proto: 'tcp', service: 'ssl', origH: `192.168.1.${i % 40}`, origP: 40000 + (i % 20000), respH, respP: 443,
    origMac: mac, respMac: '00:11:22:33:44:55', duration: 1.5, origBytes: 1200, respBytes: 40000, origPkts: 12,
    respPkts: 40, connState: 'SF', history: 'ShADadFf', device: mac, direction: 'out', remoteIp: respH,
    remoteCountry: ext.country, remoteAsn: ext.asn, remoteAsOrg: ext.org, remoteName: ext.name, remoteDomain: ext.domain,
  };
}

// ---- measurements --------------------------------------------------------------------------

function procIo(): { writeBytes: number; wchar: number } {
  const text = readFileSync('/proc/self/io', 'utf8');
  const get = (k: string) => Number(new RegExp(`^${k}: (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  // Dirty pages dropped before reaching the disk (a truncated WAL) were counted in write_bytes.
  return { writeBytes: get('write_bytes') - get('cancelled_write_bytes'), wchar: get('wchar') };
}

function fresh(t: FlowRow, i: number, ts: number): FlowRow {
  return { ...t, ts, uid: 'C' + i.toString(36).padStart(17, '0') };
}

function throughputRun(dir: string, t: Templates, rows: number, store: Partial<StoreOptions>): BenchStoreResult['throughput'] {
  const path = join(dir, 'throughput.db');
  const { store: s } = openStore({ ...store, path, flowBudget: null });
  const base = 1_700_000_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < rows; i++) s.addFlow(fresh(t.flows[i % t.flows.length], i, base + i * 0.001));
  s.flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  s.close();
  return { rows, seconds, rowsPerSecond: rows / seconds, fileBytesPerRow: statSync(path).size / rows };
}

function benchDevice(i: number, now: number): Device {
  const mac = `02:00:5e:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
  return {
    mac, firstSeen: 1_700_000_000, lastSeen: now, vendor: 'Espressif Inc.', randomized: false,
    addresses: [{ ip: `192.168.1.${10 + i}`, firstSeen: 1_700_000_000, lastSeen: now }],
    names: [{ source: 'dhcp', name: `esp-${i}`, ts: now }],
    dhcp: { hostname: `esp-${i}`, fqdn: null, vendorClass: 'udhcp 1.36.1', clientId: '01' + mac.replace(/:/g, ''), paramList: '1,3,6,12,15,28,42' },
    mdnsServices: ['_http._tcp.local'], ssdpServers: [], type: 'plug', typeEvidence: ['vendor Espressif', 'DHCP udhcp'], label: null, sameAs: null,
  };
}

async function flashRun(dir: string, t: Templates, pps: number, seconds: number, devices: number, store: Partial<StoreOptions>): Promise<BenchStoreResult['flash']> {
  const path = join(dir, 'flash.db');
  const flowsPerSecond = (t.flowCount / t.packets) * pps;
  const dnsPerSecond = (t.dnsCount / t.packets) * pps;
  const { store: s } = openStore({ ...store, path });
  // The budget buckets start full; a warm-up spends the bursts so the window shows the steady rate.
  const warmup = WARMUP_S;
  const start = performance.now();
  const base = 1_700_000_000;
  let flowsOffered = 0;
  let dnsOffered = 0;
  let io0 = procIo();
  let c0 = s.counters();
  let flows0 = 0;
  let dns0 = 0;
  let measuring = false;
  let lastDevicePut = -1;
  // Rows arrive every 10 ms of wall time with packet time = wall time, as a live sensor sees them.
  await new Promise<void>((done) => {
    const step = (): void => {
      const el = Math.min((performance.now() - start) / 1000, warmup + seconds);
      if (!measuring && el >= warmup) {
        measuring = true;
        // Checkpoint the warm-up's WAL (another connection may): the window pays only its own pages.
        const side = new Database(path);
        side.pragma('wal_checkpoint(TRUNCATE)');
        side.close();
        io0 = procIo();
        c0 = s.counters();
        flows0 = flowsOffered;
        dns0 = dnsOffered;
      }
      const now = base + el;
      // The inventory re-puts its devices as their last-seen times move (the slow lane's load).
      if (Math.floor(el) !== lastDevicePut) {
        lastDevicePut = Math.floor(el);
        for (let i = 0; i < devices; i++) s.putDevice(benchDevice(i, now));
      }
      const wantFlows = Math.floor(el * flowsPerSecond);
      for (; flowsOffered < wantFlows; flowsOffered++) s.addFlow(fresh(t.flows[flowsOffered % t.flows.length], flowsOffered, now));
      const wantDns = t.dns.length ? Math.floor(el * dnsPerSecond) : 0;
      for (; dnsOffered < wantDns; dnsOffered++) {
        const d = t.dns[dnsOffered % t.dns.length];
        s.addDns({ ...d, ts: now, uid: 'D' + dnsOffered.toString(36) });
      }
      if (el >= warmup + seconds) done();
      else setTimeout(step, 10);
    };
    step();
  });
  const c = s.counters();
  const fileBytes = s.stats().fileBytes;
  s.close();
  const io1 = procIo();
  const d = (k: string) => c[k] - c0[k];
  const writeBytes = io1.writeBytes - io0.writeBytes;
  const wchar = io1.wchar - io0.wchar;
  const transactions = d('store.transactions');
  const perHour = 3600 / seconds / 1e6;
  const fo = flowsOffered - flows0;
  const dno = dnsOffered - dns0;
  return {
    seconds, flowsPerSecond, dnsPerSecond, flowsOffered: fo,
    flowsKept: fo - d('store.flows_not_kept') - d('store.rows_dropped'),
    dnsOffered: dno, dnsKept: dno - d('store.dns_not_kept') - d('store.dns_deduped'),
    transactions, writeBytes, wchar, writeMBPerHour: writeBytes * perHour, wcharMBPerHour: wchar * perHour,
    bytesPerCommit: transactions ? wchar / transactions : 0, fileBytes,
    targetMBPerHour: STORE_TARGET_MB_PER_HOUR, pass: Math.max(writeBytes, wchar) * perHour <= STORE_TARGET_MB_PER_HOUR,
  };
}

export async function benchStore(opts: BenchStoreOptions = {}): Promise<BenchStoreResult> {
  const log = opts.log ?? (() => {});
  const root = resolve(opts.dir ?? process.env.BENCH_DIR ?? tmpdir());
  const dir = mkdtempSync(join(root, 'vigil-store-bench-'));
  try {
    log(`reading ${opts.capture ?? DEFAULT_CAPTURE} for real flow and DNS rows and their rates …`);
    const t = await templates(opts.capture ?? DEFAULT_CAPTURE, 20_000);
    const store = opts.store ?? {};
    log('throughput run (no budget) …');
    const throughput = throughputRun(dir, t, opts.throughputRows ?? 200_000, store);
    log(`flash run: ${opts.seconds ?? 60} s of wall time at ${opts.pps ?? 20_000} packets/s …`);
    const flash = await flashRun(dir, t, opts.pps ?? 20_000, opts.seconds ?? 60, opts.devices ?? 30, store);
    return {
      source: { capture: t.capture, packets: t.packets, flows: t.flowCount, dns: t.dnsCount, templates: t.flows.length },
      throughput,
      flash,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatStoreBench(r: BenchStoreResult): string {
  const f = r.flash;
  const mb = (n: number) => (n / 1e6).toFixed(2);
  return [
    `source: ${r.source.capture ?? 'synthetic rows (capture absent), known bench-small rates'}; ${r.source.packets} packets, ${r.source.flows} flows, ${r.source.dns} dns records`,
    `throughput (no budget): ${Math.round(r.throughput.rowsPerSecond).toLocaleString('en')} flows/s (${r.throughput.rows} rows in ${r.throughput.seconds.toFixed(2)} s, ${r.throughput.fileBytesPerRow.toFixed(0)} file bytes/row)`,
    `flash at replay rate: offered ${f.flowsPerSecond.toFixed(0)} flows/s + ${f.dnsPerSecond.toFixed(0)} dns/s for ${f.seconds} s; kept ${f.flowsKept} flows, ${f.dnsKept} dns rows in ${f.transactions} commits`,
    `  written: write_bytes ${mb(f.writeBytes)} MB, wchar ${mb(f.wchar)} MB (${(f.bytesPerCommit / 1024).toFixed(1)} KiB/commit), file ${mb(f.fileBytes)} MB`,
    `  per hour: write_bytes ${f.writeMBPerHour.toFixed(1)} MB/h, wchar ${f.wcharMBPerHour.toFixed(1)} MB/h (target <= ${f.targetMBPerHour} MB/h): ${f.pass ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string' },
      pps: { type: 'string' },
      capture: { type: 'string' },
      'page-size': { type: 'string' },
      autocheckpoint: { type: 'string' },
      'batch-ms': { type: 'string' },
      'flow-rate': { type: 'string' },
      'dns-rate': { type: 'string' },
      'rows': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const store: Partial<StoreOptions> = {};
  if (values['page-size']) store.pageSize = Number(values['page-size']);
  if (values.autocheckpoint) store.walAutocheckpoint = Number(values.autocheckpoint);
  if (values['batch-ms']) store.batchMs = Number(values['batch-ms']);
  if (values['flow-rate']) store.flowBudget = { perSecond: Number(values['flow-rate']), burst: STORE_DEFAULTS.flowBudget.burst };
  if (values['dns-rate']) store.dnsBudget = { perSecond: Number(values['dns-rate']), burst: STORE_DEFAULTS.dnsBudget.burst };
  const r = await benchStore({
    seconds: values.seconds ? Number(values.seconds) : undefined,
    pps: values.pps ? Number(values.pps) : undefined,
    capture: values.capture,
    throughputRows: values.rows ? Number(values.rows) : undefined,
    store,
    log: values.json ? undefined : (l) => console.error(l),
  });
  console.log(values.json ? JSON.stringify(r, null, 2) : formatStoreBench(r));
  return r.flash.pass ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exitCode = 2;
    },
  );
}
