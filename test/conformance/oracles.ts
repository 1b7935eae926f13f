/**
 * Readers for the answer keys in ../shared/corpus/oracles (MANIFEST.md, "how to read them"):
 * Zeek btest baselines (TSV logs), nDPI `ndpiReader` result files, Arkime session documents and
 * Suricata-verify `test.yaml` checks. No dependencies: each format gets the smallest reader that
 * reads every file of its kind in the corpus, and throws on anything it does not understand, so
 * that a misread oracle fails loudly instead of comparing against nothing.
 */
import { readFileSync } from 'node:fs';
import { ipv6String } from '../../src/util/addr.js';

// ---- Zeek TSV logs --------------------------------------------------------------------------

/** One Zeek log table: the `#fields` header and its rows (raw strings; `-` unset, `(empty)`). */
export interface ZeekTable {
  path: string;
  fields: string[];
  types: string[];
  rows: Record<string, string>[];
}

/**
 * Every table in a Zeek TSV file. Most baselines hold one; a few concatenate the logs of several
 * runs (e.g. chrome-1250-tls-x25519-kyber.pcap.zeek.ssl-out.log), each with its own header.
 */
export function readZeekTables(file: string): ZeekTable[] {
  const tables: ZeekTable[] = [];
  let cur: ZeekTable | null = null;
  let path = '';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (line.startsWith('#path\t')) path = line.slice(6);
      else if (line.startsWith('#fields\t')) {
        cur = { path, fields: line.split('\t').slice(1), types: [], rows: [] };
        tables.push(cur);
      } else if (line.startsWith('#types\t') && cur) cur.types = line.split('\t').slice(1);
      continue;
    }
    if (!cur) throw new Error(`${file}: data line before #fields`);
    const cols = line.split('\t');
    if (cols.length !== cur.fields.length) throw new Error(`${file}: ${cols.length} columns, header has ${cur.fields.length}: ${line}`);
    const row: Record<string, string> = {};
    cur.fields.forEach((f, i) => { row[f] = cols[i]; });
    cur.rows.push(row);
  }
  return tables;
}

/** The rows of a Zeek TSV log that holds exactly one table. */
export function readZeekTsv(file: string): Record<string, string>[] {
  const t = readZeekTables(file);
  if (t.length !== 1) throw new Error(`${file}: ${t.length} tables, expected 1`);
  return t[0].rows;
}

/** A Zeek TSV value: undefined when unset (`-`). */
export function zv(row: Record<string, string>, k: string): string | undefined {
  const v = row[k];
  return v === undefined || v === '-' ? undefined : v;
}

/** A Zeek TSV count/interval as a number, or undefined when unset. */
export function zn(row: Record<string, string>, k: string): number | undefined {
  const v = zv(row, k);
  return v === undefined ? undefined : Number(v);
}

/** A Zeek TSV bool (`T`/`F`) or undefined. */
export function zb(row: Record<string, string>, k: string): boolean | undefined {
  const v = zv(row, k);
  return v === undefined ? undefined : v === 'T';
}

/** A Zeek TSV set/vector: [] for `(empty)`, undefined when unset. */
export function zset(row: Record<string, string>, k: string): string[] | undefined {
  const v = zv(row, k);
  if (v === undefined) return undefined;
  return v === '(empty)' ? [] : v.split(',');
}

/** Zeek's TSV escaping (`\xNN`) undone into a latin1 string. */
export function zeekUnescape(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

// ---- nDPI ndpiReader output -----------------------------------------------------------------

export interface NdpiFlow {
  /** Flow number in its list (numbering restarts in the "Undetected flows:" list). */
  n: number;
  /** False for the flows of the "Undetected flows:" list (no protocol found). */
  detected: boolean;
  /** Transport as nDPI prints it: TCP, UDP, ICMP, ICMPV6, IGMP … */
  transport: string;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** `<->` (packets seen both ways) or `->`. */
  bidirectional: boolean;
  /** `[proto: 91/TLS]` → `TLS`; `7.178/HTTP.Amazon` → `HTTP.Amazon`. */
  proto: string;
  vlan?: number;
  /** Packets and bytes (whole frames, link header included) from src and from dst. */
  srcPkts: number;
  srcBytes: number;
  dstPkts: number;
  dstBytes: number;
  /** Smallest frame length per direction (`Pkt Len c2s/s2c min/...`), when printed. */
  minLen?: [number, number];
  /** Every `[name: value]` field of the line, by name (e.g. `Hostname/SNI`, `JA3S`, `JA4`). */
  fields: Map<string, string>;
  /** Bracketed items without a `name:` (e.g. `ClearText`, `Encrypted`, `TLSv1.2`). */
  tags: string[];
  line: string;
}

const NDPI_FLOW = /^\t(\d+)\t(\S+) (\S+) (<->|->) (\S+) \[/;

function splitHostPort(s: string, line: string): [string, number] {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(s) ?? /^([0-9.]+):(\d+)$/.exec(s);
  if (!m) throw new Error(`nDPI: cannot read endpoint ${s} in: ${line}`);
  return [m[1], Number(m[2])];
}

/** The flow lines of an `ndpiReader` result file (`tests/cfgs/default/result/*.out`). */
export function readNdpiFlows(file: string): NdpiFlow[] {
  const flows: NdpiFlow[] = [];
  let detected = true;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('Undetected flows:')) detected = false;
    const m = NDPI_FLOW.exec(line);
    if (!m) continue;
    const [src, sport] = splitHostPort(m[3], line);
    const [dst, dport] = splitHostPort(m[5], line);
    const fields = new Map<string, string>();
    const tags: string[] = [];
    // Top-level [...] groups; values may contain brackets-free text with commas and colons.
    const rest = line.slice(m[0].length - 1);
    let depth = 0;
    let start = -1;
    for (let i = 0; i < rest.length; i++) {
      const c = rest[i];
      if (c === '[') {
        if (depth === 0) start = i + 1;
        depth++;
      } else if (c === ']') {
        depth--;
        if (depth === 0 && start >= 0) {
          const item = rest.slice(start, i);
          const colon = item.indexOf(': ');
          if (colon > 0 && /^[A-Za-z][\w /().-]*$/.test(item.slice(0, colon))) {
            fields.set(item.slice(0, colon), item.slice(colon + 2));
          } else {
            tags.push(item);
          }
          start = -1;
        }
      }
    }
    const counts = tags.map((t) => /^(\d+) pkts\/(\d+) bytes (<->|->) (\d+) pkts\/(\d+) bytes$/.exec(t)).find((x) => x);
    if (!counts) throw new Error(`nDPI: no packet counts in: ${line}`);
    const protoField = fields.get('proto');
    if (protoField === undefined) throw new Error(`nDPI: no proto in: ${line}`);
    const pl = fields.get('Pkt Len c2s/s2c min/avg/max/stddev');
    const vlan = fields.get('VLAN');
    flows.push({
      n: Number(m[1]),
      detected,
      transport: m[2],
      src,
      sport,
      dst,
      dport,
      bidirectional: m[4] === '<->',
      proto: protoField.replace(/^[\d.]+\//, ''),
      vlan: vlan === undefined ? undefined : Number(vlan),
      srcPkts: Number(counts[1]),
      srcBytes: Number(counts[2]),
      dstPkts: Number(counts[4]),
      dstBytes: Number(counts[5]),
      minLen: pl ? (pl.split(' ')[0].split('/').map(Number) as [number, number]) : undefined,
      fields,
      tags,
      line,
    });
  }
  return flows;
}

// ---- Arkime session documents ---------------------------------------------------------------

export interface ArkimeEndpoint {
  ip?: string;
  port?: number;
  packets?: number;
  /** Bytes of whole frames (link header included) sent by this endpoint. */
  bytes?: number;
  mac?: string[];
}

/** The fields of an Arkime session document the tests read; the rest stays reachable by name. */
export interface ArkimeSession {
  ipProtocol?: number;
  protocol: string[];
  source: ArkimeEndpoint;
  destination: ArkimeEndpoint;
  /** Payload (application) bytes sent by the source (`client`) and destination (`server`). */
  client: { bytes: number };
  server: { bytes: number };
  network: { bytes: number; packets: number; community_id?: string; vlan?: { id: number[] } };
  /** Per packet: 16 (pcap record header) + captured length. */
  packetLen?: number[];
  firstPacket?: number;
  lastPacket?: number;
  icmp?: { type: number[]; code: number[] };
  [k: string]: unknown;
}

/** The session bodies of an Arkime `tests/pcap/*.test` file, in file order. */
export function readArkimeSessions(file: string): ArkimeSession[] {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { sessions3?: { body: ArkimeSession }[] };
  if (!Array.isArray(doc.sessions3)) throw new Error(`${file}: no sessions3`);
  return doc.sessions3.map((s) => s.body);
}

// ---- Suricata-verify test.yaml --------------------------------------------------------------

export type YamlValue = string | number | boolean | null | YamlValue[] | { [k: string]: YamlValue };

export interface SuricataCheck {
  count?: number;
  /** Dotted EVE paths (`dhcp.params[0]`, `flow.pkts_toserver`) → expected value. */
  match: Record<string, YamlValue>;
  requires?: YamlValue;
}

export interface SuricataTest {
  requires?: YamlValue;
  args?: YamlValue;
  pcap?: string;
  checks: SuricataCheck[];
  raw: Record<string, YamlValue>;
}

/** The `checks:` filters of a suricata-verify test.yaml (other check kinds are rejected). */
export function readSuricataTest(file: string): SuricataTest {
  const raw = parseYaml(readFileSync(file, 'utf8'));
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${file}: not a mapping`);
  const checks: SuricataCheck[] = [];
  const list = raw.checks;
  if (!Array.isArray(list)) throw new Error(`${file}: no checks list`);
  for (const c of list) {
    if (c === null || typeof c !== 'object' || Array.isArray(c) || !('filter' in c)) throw new Error(`${file}: unsupported check ${JSON.stringify(c)}`);
    const f = c.filter as Record<string, YamlValue>;
    const match = f.match;
    if (match === null || typeof match !== 'object' || Array.isArray(match)) throw new Error(`${file}: filter without match`);
    checks.push({ count: typeof f.count === 'number' ? f.count : undefined, match, requires: f.requires });
  }
  return { requires: raw.requires, args: raw.args, pcap: typeof raw.pcap === 'string' ? raw.pcap : undefined, checks, raw };
}

/**
 * A value of an EVE-like record by Suricata-verify's dotted path (`a.b[0].c`). Our records use
 * their own field names; callers map paths first. Returns undefined when absent.
 */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) return undefined;
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[m[1]];
    for (const idx of m[2].match(/\d+/g) ?? []) {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[Number(idx)];
    }
  }
  return cur;
}

// A block-style YAML subset: mappings, `- ` sequences, flow sequences of scalars, plain, single-
// and double-quoted scalars, comments. Enough for every test.yaml in the corpus; anything else
// (anchors, multi-line scalars, flow mappings) throws.

interface YLine { indent: number; text: string; no: number }

export function parseYaml(src: string): YamlValue {
  const lines: YLine[] = [];
  src.split(/\r?\n/).forEach((l, i) => {
    const text = stripComment(l).replace(/\s+$/, '');
    if (text.trim() === '') return;
    if (/^\t/.test(text)) throw new Error(`yaml line ${i + 1}: tab indentation`);
    lines.push({ indent: text.length - text.trimStart().length, text: text.trimStart(), no: i + 1 });
  });
  let pos = 0;

  function block(indent: number): YamlValue {
    if (pos >= lines.length) return null;
    const first = lines[pos];
    if (first.indent < indent) return null;
    return first.text.startsWith('- ') || first.text === '-' ? seq(first.indent) : map(first.indent);
  }

  function seq(indent: number): YamlValue[] {
    const out: YamlValue[] = [];
    while (pos < lines.length && lines[pos].indent === indent && (lines[pos].text.startsWith('- ') || lines[pos].text === '-')) {
      const l = lines[pos];
      const rest = l.text === '-' ? '' : l.text.slice(2).trimStart();
      if (rest === '') {
        pos++;
        out.push(block(indent + 1));
      } else if (isMapEntry(rest)) {
        // "- key: value" starts a mapping whose keys sit at the column after "- ".
        const col = indent + (l.text.length - rest.length);
        lines[pos] = { indent: col, text: rest, no: l.no };
        out.push(map(col));
      } else {
        pos++;
        out.push(scalar(rest, l.no));
      }
    }
    return out;
  }

  function map(indent: number): { [k: string]: YamlValue } {
    const out: { [k: string]: YamlValue } = {};
    while (pos < lines.length && lines[pos].indent === indent) {
      const l = lines[pos];
      if (l.text.startsWith('- ')) break;
      const kv = splitKey(l.text);
      if (!kv) throw new Error(`yaml line ${l.no}: expected "key: value": ${l.text}`);
      pos++;
      const [k, v] = kv;
      if (v !== '') out[k] = scalar(v, l.no);
      else if (pos < lines.length && (lines[pos].indent > indent || (lines[pos].indent === indent && lines[pos].text.startsWith('- ')))) {
        out[k] = block(lines[pos].indent);
      } else out[k] = null;
    }
    if (pos < lines.length && lines[pos].indent > indent) throw new Error(`yaml line ${lines[pos].no}: unexpected indentation`);
    return out;
  }

  const v = block(0);
  if (pos < lines.length) throw new Error(`yaml line ${lines[pos].no}: unexpected content`);
  return v;
}

function stripComment(l: string): string {
  let q: string | null = null;
  for (let i = 0; i < l.length; i++) {
    const c = l[i];
    if (q) {
      if (c === '\\' && q === '"') i++;
      else if (c === q) q = null;
    } else if (c === '"' || c === "'") {
      q = c;
    } else if (c === '#' && (i === 0 || /\s/.test(l[i - 1]))) {
      return l.slice(0, i);
    }
  }
  return l;
}

function isMapEntry(t: string): boolean {
  return splitKey(t) !== null;
}

function splitKey(t: string): [string, string] | null {
  if (t.startsWith('"') || t.startsWith("'") || t.startsWith('[')) return null;
  const m = /^([^:]+?):(?:\s+(.*)|)$/.exec(t);
  if (!m) return null;
  return [m[1].trim(), (m[2] ?? '').trim()];
}

function scalar(t: string, no: number): YamlValue {
  if (t.startsWith('"')) {
    if (!t.endsWith('"') || t.length < 2) throw new Error(`yaml line ${no}: unterminated string`);
    return JSON.parse(t) as string;
  }
  if (t.startsWith("'")) {
    if (!t.endsWith("'") || t.length < 2) throw new Error(`yaml line ${no}: unterminated string`);
    return t.slice(1, -1).replace(/''/g, "'");
  }
  if (t.startsWith('[')) {
    if (!t.endsWith(']')) throw new Error(`yaml line ${no}: unterminated flow sequence`);
    const inner = t.slice(1, -1).trim();
    if (inner === '') return [];
    const items: string[] = [];
    let q: string | null = null;
    let start = 0;
    for (let i = 0; i < inner.length; i++) {
      const c = inner[i];
      if (q) {
        if (c === '\\' && q === '"') i++;
        else if (c === q) q = null;
      } else if (c === '"' || c === "'") q = c;
      else if (c === '[' || c === '{') throw new Error(`yaml line ${no}: nested flow collections are not supported`);
      else if (c === ',') {
        items.push(inner.slice(start, i).trim());
        start = i + 1;
      }
    }
    items.push(inner.slice(start).trim());
    return items.map((x) => scalar(x, no));
  }
  if (t.startsWith('{') || t.startsWith('&') || t.startsWith('*') || t.startsWith('|') || t.startsWith('>')) {
    throw new Error(`yaml line ${no}: unsupported construct: ${t}`);
  }
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null' || t === '~') return null;
  if (/^-?(0|[1-9]\d*)(\.\d+)?$/.test(t)) return Number(t);
  return t;
}

// ---- shared helpers -------------------------------------------------------------------------

/** Canonical text of an IP address (IPv6 compressed, lower case) for joining across tools. */
export function canonIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  // Expand to eight groups, then print with the engine's RFC 5952 formatter.
  let head = ip.toLowerCase();
  let v4tail: string[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(head);
  if (v4) {
    const p = v4[1].split('.').map(Number);
    v4tail = [((p[0] << 8) | p[1]).toString(16), ((p[2] << 8) | p[3]).toString(16)];
    head = head.slice(0, -v4[1].length - 1);
  }
  const [a, b] = head.split('::');
  const left = a ? a.split(':').filter((x) => x !== '') : [];
  const right = b !== undefined && b !== '' ? b.split(':').filter((x) => x !== '') : [];
  const fill = 8 - left.length - right.length - v4tail.length;
  const g = [...left, ...(b !== undefined ? new Array<string>(Math.max(0, fill)).fill('0') : []), ...right, ...v4tail].map((x) => parseInt(x, 16));
  if (g.length !== 8 || g.some((x) => Number.isNaN(x))) return ip;
  const words = [0, 2, 4, 6].map((k) => ((g[k] << 16) | g[k + 1]) >>> 0);
  return ipv6String(words);
}

/** Direction-free key of a flow: protocol plus both endpoints in a fixed order. */
export function biflowKey(proto: string, a: string, ap: number, b: string, bp: number): string {
  const x = `${canonIp(a)}|${ap}`;
  const y = `${canonIp(b)}|${bp}`;
  return x < y ? `${proto} ${x} ${y}` : `${proto} ${y} ${x}`;
}
