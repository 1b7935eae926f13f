/**
 * abuse.ch CSV exports, told apart by their header (commented or not; formats.md §2.2):
 *
 * - Feodo Tracker `ipblocklist.csv`: `first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware`
 *   (older files: `# Firstseen,DstIP,DstPort,LastOnline,Malware`) → address + port, malware family.
 * - URLhaus: `# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter` → URL,
 *   threat and tags as description, the URLhaus page as reference.
 * - ThreatFox: `# "first_seen_utc", "ioc_id", "ioc_value", "ioc_type", "threat_type", …` with
 *   `", "` separators → ip:port / domain / url / hash by `ioc_type`; `botnet_cc` → c2,
 *   `payload_delivery`/`payload` → malware; the IOC's ThreatFox page as reference.
 * - SSLBL: `# ja3_md5,Firstseen,Lastseen,Listingreason` → JA3; `# Listingdate,SHA1,Listingreason`
 *   → certificate hash; `# Firstseen,DstIP,DstPort` → address + port.
 *
 * A file without a recognisable header is read by taking, on each row, the first field shaped
 * like an indicator. Rows with `#` are comments (abuse.ch puts banners before and after the data).
 */
import type { IntelCategory } from '../types.js';
import type { Emitter } from './emit.js';
import { forEachLine, type FeedInput } from './lines.js';
import { parseCsvLine } from './csv.js';
import { classifyValue } from '../normalize.js';

interface Columns {
  ip: number; port: number; url: number; ioc: number; iocType: number; ja3: number; hash: number;
  desc: number; tags: number; ref: number; threatType: number; id: number;
  /** Feodo Tracker rows link to the host's Feodo page. */
  feodo: boolean;
}

const VALUE_COLUMNS = ['dst_ip', 'dstip', 'ip_address', 'url', 'ioc_value', 'ioc', 'ja3_md5', 'sha1', 'sha256_hash', 'md5_hash'];

function columnsOf(names: string[]): Columns | null {
  const lc = names.map((n) => n.trim().toLowerCase());
  const at = (...keys: string[]): number => {
    for (const k of keys) { const i = lc.indexOf(k); if (i >= 0) return i; }
    return -1;
  };
  if (!lc.some((n) => VALUE_COLUMNS.includes(n))) return null;
  return {
    ip: at('dst_ip', 'dstip', 'ip_address'),
    port: at('dst_port', 'dstport', 'port'),
    url: at('url'),
    ioc: at('ioc_value', 'ioc'),
    iocType: at('ioc_type'),
    ja3: at('ja3_md5'),
    hash: at('sha1', 'sha256_hash', 'md5_hash'),
    desc: at('malware_printable', 'malware', 'listingreason', 'threat', 'signature'),
    tags: at('tags'),
    ref: at('urlhaus_link'),
    threatType: at('threat_type'),
    id: at('ioc_id'),
    feodo: at('dst_ip', 'dstip') >= 0 && at('malware', 'c2_status') >= 0,
  };
}

const THREAT_CATEGORY: Readonly<Record<string, IntelCategory>> = {
  botnet_cc: 'c2',
  payload_delivery: 'malware',
  payload: 'malware',
  cc_skimming: 'malware',
};

export function parseAbusechCsv(input: FeedInput, e: Emitter): void {
  let cols: Columns | null = null;
  forEachLine(input, (raw) => {
    const line = raw.trim();
    if (line.length === 0) return;
    if (line.charCodeAt(0) === 35) {
      if (cols === null) {
        const f = parseCsvLine(line.replace(/^#+\s*/, ''));
        if (f !== null && f.length >= 2) cols = columnsOf(f);
      }
      return;
    }
    const f = parseCsvLine(line);
    if (f === null) { e.bad(raw); return; }
    if (cols === null) {
      const c = columnsOf(f);
      if (c !== null) { cols = c; return; } // Feodo's unprefixed header
      if (!firstIndicator(f, e)) e.bad(raw);
      return;
    }
    if (!row(cols, f, e)) e.bad(raw);
  });
  e.resetMeta();
}

function row(c: Columns, f: string[], e: Emitter): boolean {
  const get = (i: number): string => (i >= 0 && i < f.length ? f[i] : '');
  e.resetMeta();
  let desc = get(c.desc);
  const tags = get(c.tags);
  if (tags !== '' && tags !== 'None') desc = desc !== '' ? desc + ' (' + tags + ')' : tags;
  if (desc !== '' && desc !== 'None') e.meta.description = desc;
  const ref = get(c.ref);
  if (/^https?:\/\//.test(ref)) e.meta.reference = ref;
  const tt = get(c.threatType);
  if (tt !== '' && THREAT_CATEGORY[tt] !== undefined) e.meta.category = THREAT_CATEGORY[tt];
  if (c.ioc >= 0) {
    const v = get(c.ioc);
    const id = get(c.id);
    if (/^[0-9]+$/.test(id)) e.meta.reference = 'https://threatfox.abuse.ch/ioc/' + id + '/';
    switch (get(c.iocType)) {
      case 'ip:port': return e.ipPort(v) || e.net(v);
      case 'domain': return e.domain(v);
      case 'url': return e.url(v);
      case 'md5_hash': case 'sha1_hash': case 'sha256_hash': case 'sha3_384_hash': return e.hash(v);
      case '': return e.auto(v);
      default: e.skip('unsupported'); return true;
    }
  }
  if (c.ip >= 0) {
    const ip = get(c.ip);
    const p = get(c.port);
    const port = /^[0-9]{1,5}$/.test(p) && +p <= 65535 ? +p : 0;
    if (c.feodo) e.meta.reference = 'https://feodotracker.abuse.ch/browse/host/' + ip + '/';
    return e.net(ip, port);
  }
  if (c.url >= 0) return e.url(get(c.url));
  if (c.ja3 >= 0) return e.ja3(get(c.ja3));
  if (c.hash >= 0) return e.hash(get(c.hash));
  return false;
}

function firstIndicator(f: string[], e: Emitter): boolean {
  for (const v of f) {
    const k = classifyValue(v);
    if (k !== 'none' && k !== 'path') return e.auto(v);
  }
  return false;
}
