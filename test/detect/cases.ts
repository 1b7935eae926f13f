/**
 * Every capture the detectors are judged on, with what must fire: the labelled captures made by
 * real tools (test/fixtures/scenarios, written by test/scenarios/), the attack captures of the
 * corpus (golden), and the benign corpus captures (nothing above `low` may fire). Shared by
 * test/detect/labelled.test.ts and the precision/recall report (bench/detection.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PCAPS, REPO } from '../helpers/analyze.js';

export interface Expectation {
  /** Alert code that must fire (exact). */
  readonly code: string;
  /** MAC the alert must name, or null when it names no device. */
  readonly device: string | null;
}

export interface DetectionCase {
  readonly name: string;
  readonly file: string;
  readonly source: 'scenario' | 'corpus';
  readonly benign: boolean;
  readonly config: Record<string, unknown>;
  readonly expect: readonly Expectation[];
  readonly tool: string;
}

export const SCENARIOS_DIR = join(REPO, 'test', 'fixtures', 'scenarios');

/** Attack captures of the corpus and what they must raise (devices checked with tcpdump -e). */
const CORPUS_ATTACKS: readonly Omit<DetectionCase, 'source' | 'benign' | 'config'>[] = [
  {
    name: 'corpus: nmap SYN scan', file: 'ndpi/synscan.pcap', tool: 'nmap (nDPI test capture)',
    expect: [{ code: 'scan.vertical', device: '00:25:b3:bf:91:ee' }],
  },
  {
    name: 'corpus: FTP brute force', file: 'zeek/ftp-bruteforce.pcap', tool: 'password guessing (Zeek test capture)',
    expect: [{ code: 'bruteforce.ftp', device: '0a:00:27:00:00:00' }],
  },
  {
    name: 'corpus: ARP poisoning', file: 'chrissanders-packets/arppoison.pcapng', tool: 'ARP cache poisoning (Chris Sanders)',
    expect: [{ code: 'mitm.arp_spoof', device: '00:25:b3:bf:91:ee' }],
  },
  {
    name: 'corpus: dnscat2 tunnel', file: 'ndpi/dns_exfiltration.pcap', tool: 'dnscat2 (nDPI test capture)',
    expect: [{ code: 'dns.tunnel', device: '8c:dc:d4:46:be:c4' }],
  },
];

/**
 * Corpus captures judged a second time under settings that make them attacks: a Modbus client's
 * writes are routine while the sensor learns (info), and news once it has learned (high).
 */
const CORPUS_CONFIGURED: readonly Omit<DetectionCase, 'source' | 'benign'>[] = [
  {
    name: 'corpus: Modbus writes after learning', file: 'suricata-verify/modbus.pcap', tool: 'Modbus/TCP client (Suricata test capture), baseline.learningDays 0',
    config: { 'baseline.learningDays': 0 },
    expect: [{ code: 'ics.write', device: '00:50:04:93:70:67' }],
  },
];

/** Corpus captures that are neither benign nor judged here: they need threat intel (issue 4). */
const CORPUS_OTHER = new Set(['ndpi/malware.pcap']);

function corpusFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(PCAPS, p));
    }
  };
  walk(PCAPS);
  return out.sort();
}

interface LabelFile {
  scenarios: { name: string; file: string; tool: string; benign?: boolean; config?: Record<string, unknown>; expect: Expectation[] }[];
}

export function scenarioCases(): DetectionCase[] {
  const labels = join(SCENARIOS_DIR, 'labels.json');
  if (!existsSync(labels)) return [];
  const l = JSON.parse(readFileSync(labels, 'utf8')) as LabelFile;
  return l.scenarios.map((s) => ({
    name: s.name,
    file: join(SCENARIOS_DIR, s.file),
    source: 'scenario' as const,
    benign: s.benign === true,
    config: s.config ?? {},
    expect: s.expect,
    tool: s.tool,
  }));
}

export function corpusCases(): DetectionCase[] {
  const attacks = new Map(CORPUS_ATTACKS.map((a) => [a.file, a]));
  const out: DetectionCase[] = [];
  for (const rel of corpusFiles()) {
    if (CORPUS_OTHER.has(rel)) continue;
    const a = attacks.get(rel);
    out.push(a
      ? { ...a, file: join(PCAPS, rel), source: 'corpus', benign: false, config: {} }
      : { name: `corpus: ${rel}`, file: join(PCAPS, rel), source: 'corpus', benign: true, config: {}, expect: [], tool: 'benign corpus capture' });
  }
  for (const c of CORPUS_CONFIGURED) out.push({ ...c, file: join(PCAPS, c.file), source: 'corpus', benign: false });
  return out;
}

export function allCases(): DetectionCase[] {
  return [...scenarioCases(), ...corpusCases()];
}

/** Severities above this one count as an alarm (the benign bar is "nothing above low"). */
export const ALARM = new Set(['medium', 'high', 'critical']);

/** Which detector an alert code belongs to (for per-detector precision and recall). */
export function detectorOf(code: string): string {
  const map: Record<string, string> = {
    scan: 'portscan', bruteforce: 'bruteforce', infected: 'propagation', flood: 'flood', beacon: 'beacon',
    dns: 'dns-tunnel', exfil: 'exfil', mitm: 'arp-spoof', dhcp: 'rogue-dhcp', cleartext: 'cleartext',
    unsafe: 'cleartext', tor: 'tor', ics: 'ics-write',
  };
  return map[code.split('.')[0]] ?? code.split('.')[0];
}
