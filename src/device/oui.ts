/**
 * MAC address facts: vendor from the IEEE registry (MA-L, MA-M and MA-S blocks, as shipped by
 * the `oui-data` npm package, offline), the locally-administered ("randomised") bit, and which
 * MACs can be a device at all.
 *
 * The registry JSON (5.6 MB, ~54k entries keyed by 6, 7 or 9 upper-case hex digits, values are
 * the multi-line postal record) is read once, on the first lookup, and reduced to three Maps of
 * numeric prefix to organisation name (~31k distinct names, shared). Measured on the 2-core build
 * machine (Node 20, oui-data 2.1.9): 105-130 ms to load, 3.8 MB of heap kept afterwards (after
 * GC), about 35 MB of transient RSS while the file text is scanned, 100 ns per lookup.
 * `ouiStats()` reports the figures of the running process.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { VigilError } from '../util/errors.js';

export interface OuiStats {
  /** Prefixes loaded (0 before the first lookup). */
  readonly entries: number;
  readonly loadMs: number;
  /** Heap growth measured across the load (approximate: the GC may run during it). */
  readonly heapBytes: number;
}

/** Prefix (as a number) -> organisation, one map per block size: MA-L (6 hex digits), MA-M (7), MA-S (9). */
interface Table {
  readonly l: Map<number, string | null>;
  readonly m: Map<number, string | null>;
  readonly s: Map<number, string | null>;
}

let table: Table | null = null;
let stats: OuiStats = { entries: 0, loadMs: 0, heapBytes: 0 };

/**
 * Loads the registry now (the first `vendorOf` does it otherwise). Callers that want to fail fast
 * at start-up (the sensor, `vigil doctor`) call this; it throws VIGIL_ERR_ENRICH_DATA when the
 * package is missing or unreadable.
 */
export function loadOui(): void {
  if (table !== null) return;
  const t0 = process.hrtime.bigint();
  const heap0 = process.memoryUsage().heapUsed;
  let text: string;
  try {
    text = readFileSync(createRequire(import.meta.url).resolve('oui-data'), 'utf8');
  } catch (e) {
    throw new VigilError('VIGIL_ERR_ENRICH_DATA',
      `The IEEE vendor registry (npm package oui-data) could not be read (${(e as Error).message}): run npm install in the Vigil directory.`);
  }
  // Only the first line of each value is wanted: scanning the text for `"KEY": "first line`
  // skips building the 54k multi-line values JSON.parse would make (≈35 MB of transient heap).
  const names = new Map<string, string | null>(); // raw first line -> tidy name, so equal names share one string
  const t: Table = { l: new Map(), m: new Map(), s: new Map() };
  const entry = /"([0-9A-Fa-f]{6,9})"\s*:\s*"((?:[^"\\]|\\(?!n)[\s\S])*)/g;
  for (let m = entry.exec(text); m !== null; m = entry.exec(text)) {
    const first = m[2];
    let name = names.get(first);
    if (name === undefined) {
      let decoded: string;
      try {
        decoded = first.indexOf('\\') >= 0 ? (JSON.parse('"' + first + '"') as string) : first;
      } catch {
        decoded = first;
      }
      name = tidyVendor(decoded);
      // A match is a slice of the 5.6 MB file text and would keep all of it alive: copy it out.
      if (name !== null) name = Buffer.from(name, 'utf8').toString('utf8');
      names.set(first, name);
    }
    const key = m[1];
    (key.length === 6 ? t.l : key.length === 7 ? t.m : t.s).set(parseInt(key, 16), name);
  }
  // V8 keeps the last regexp input for the legacy RegExp.input/$_: point it at something small,
  // or the whole file text stays alive.
  /x/.exec('x');
  const size = t.l.size + t.m.size + t.s.size;
  if (size === 0) {
    throw new VigilError('VIGIL_ERR_ENRICH_DATA', 'The IEEE vendor registry (npm package oui-data) holds no entries: reinstall it with npm install.');
  }
  table = t;
  stats = {
    entries: size,
    loadMs: Number(process.hrtime.bigint() - t0) / 1e6,
    heapBytes: Math.max(0, process.memoryUsage().heapUsed - heap0),
  };
}

export function ouiStats(): OuiStats {
  return stats;
}

/** Words kept in capitals when an all-capitals registry name is title-cased (acronyms, legal forms). */
const KEEP_UPPER = new Set(['AB', 'AG', 'AS', 'ASA', 'BV', 'KG', 'LLC', 'LP', 'NV', 'OY', 'PLC', 'SA', 'SAS', 'SL', 'SPA', 'SRL', 'USA', 'UK', 'IBM', 'HP', 'LG', 'AVM', 'ZTE', 'NEC', 'TCL', 'TP', 'D', 'JSC', 'PTE', 'PVT', 'II', 'III', 'IT', 'IP', 'TV', 'AI', 'IOT']);

/**
 * Registry names come in mixed styles (`XEROX CORPORATION`, `Apple, Inc.`): collapse whitespace,
 * and title-case names written entirely in capitals the way Arkime shows them
 * (`JETCELL, INC.` -> `Jetcell, Inc.`). `Private` (a hidden registrant) is no vendor.
 */
export function tidyVendor(s: string): string | null {
  const t = s.replace(/\s+/g, ' ').trim();
  if (t === '' || /^private$/i.test(t)) return null;
  if (/[a-z]/.test(t)) return t;
  return t.replace(/[A-Z][A-Z']*/g, (w) => {
    if (KEEP_UPPER.has(w)) return w;
    if (w === 'GMBH') return 'GmbH';
    return w[0] + w.slice(1).toLowerCase();
  });
}

/** The 48-bit MAC as a number (exact in a double), or -1 when the text is not a MAC. */
function macNumber(mac: string): number {
  let n = 0;
  let digits = 0;
  for (let i = 0; i < mac.length; i++) {
    const c = mac.charCodeAt(i);
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c === 0x3a || c === 0x2d || c === 0x2e) continue; // aa:bb…, aa-bb…, aabb.ccdd…
    else return -1;
    n = n * 16 + d;
    digits++;
  }
  return digits === 12 ? n : -1;
}

/**
 * The registered organisation for a MAC, longest block first (MA-S 36 bits, MA-M 28, MA-L 24),
 * or null when unregistered, hidden (`Private`) or not a MAC. Locally administered MACs are
 * looked up too (a few registrants own such blocks); the inventory skips them itself.
 */
export function vendorOf(mac: string): string | null {
  const n = macNumber(mac);
  if (n < 0) return null;
  if (table === null) loadOui();
  const t = table as Table;
  // A block registered as `Private` (null) hides its owner: it must not fall through to the
  // IEEE's own MA-L that contains it.
  const s = t.s.get(Math.floor(n / 2 ** 12));
  if (s !== undefined) return s;
  const m = t.m.get(Math.floor(n / 2 ** 20));
  if (m !== undefined) return m;
  return t.l.get(Math.floor(n / 2 ** 24)) ?? null;
}

/** Locally administered (U/L bit, bit 1 of the first octet): phones and OSes randomise these. */
export function isRandomized(mac: string): boolean {
  const n = macNumber(mac);
  return n >= 0 && (Math.floor(n / 2 ** 40) & 2) !== 0;
}

/** `aa:bb:cc:dd:ee:ff` in lower case, or null when the text is not a 48-bit MAC. */
export function normalizeMac(mac: string): string | null {
  // The engine's records already use this form: hand the same string back (per ARP/DHCP record).
  if (isCanonicalMac(mac)) return mac;
  const n = macNumber(mac);
  if (n < 0) return null;
  const h = n.toString(16).padStart(12, '0');
  return h.slice(0, 2) + ':' + h.slice(2, 4) + ':' + h.slice(4, 6) + ':' + h.slice(6, 8) + ':' + h.slice(8, 10) + ':' + h.slice(10, 12);
}

/** `aa:bb:cc:dd:ee:ff` exactly (lower-case hex, colons), checked without allocating. */
function isCanonicalMac(mac: string): boolean {
  if (mac.length !== 17) return false;
  for (let i = 0; i < 17; i++) {
    const c = mac.charCodeAt(i);
    if (i % 3 === 2) {
      if (c !== 0x3a) return false;
    } else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) {
      return false;
    }
  }
  return true;
}

/**
 * True for a MAC that can belong to one device: unicast (I/G bit clear) and not all zeros.
 * Takes the engine's lower-case form and checks it without allocating (called per flow).
 */
export function isUnicastMac(mac: string): boolean {
  if (mac.length !== 17) return false;
  const c = mac.charCodeAt(1);
  const nibble = c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
  if ((nibble & 1) !== 0) return false;
  return mac !== '00:00:00:00:00:00';
}
