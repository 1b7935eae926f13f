/**
 * All loaded indicators, built once per feed update and swapped atomically. Built to hold a few
 * million indicators on a Raspberry Pi and to answer per flow / per DNS, TLS, HTTP record:
 *
 * - Indicators are rows of parallel typed arrays (type, prefix, port, meta, chain link, IPv4
 *   address) plus one string slot for text values; the per-feed strings (feed, category,
 *   severity, description, reference) are interned as "meta" tuples shared by every row that has
 *   them. `Indicator` objects are made only for hits.
 * - IPv4: one open-addressing hash of uint32 per prefix length present (a /32 is an exact
 *   address); a lookup masks the address once per length present, longest first: at most 33
 *   probes whatever the number of prefixes. IPv6 likewise, keyed on the top 64 bits for
 *   prefixes up to /64 and on all 128 bits beyond.
 * - Domains, URLs, JA3, JA4 and hashes: a `Map` from the canonical value. A name is looked up
 *   and then each parent (`a.b.evil.example` → `b.evil.example` → `evil.example`).
 * - Several feeds may list the same value: rows with the same key are chained, all are returned.
 *   The same value (and port) twice in one feed is a duplicate and is not stored again.
 */
import type { Severity } from '../alert/alert.js';
import type { Indicator, IndicatorType, IntelCategory, IntelLookup, ParseResult } from './types.js';
import type { EntryMeta, IndicatorTarget, TextType } from './parse/emit.js';
import {
  MASK32, NetValue, netText, normalizeDomain, normalizeHex, normalizeJa3, normalizeJa4, normalizeUrl, parseNet,
  trimSlash, HASH_LENGTHS,
} from './normalize.js';
import { ipv4String } from '../util/addr.js';

// Row type codes: the address family is part of the type so that no other column is needed.
const T_IP4 = 0, T_CIDR4 = 1, T_IP6 = 2, T_CIDR6 = 3, T_DOMAIN = 4, T_URL = 5, T_JA3 = 6, T_JA4 = 7, T_HASH = 8;
const TYPE_NAMES: readonly IndicatorType[] = ['ip', 'cidr', 'ip', 'cidr', 'domain', 'url', 'ja3', 'ja4', 'hash'];
const TEXT_CODES: Readonly<Record<TextType, number>> = { domain: T_DOMAIN, url: T_URL, ja3: T_JA3, ja4: T_JA4, hash: T_HASH };

/** Default cap on rows (config: `intel.maxIndicators` once the schema has it). */
export const DEFAULT_MAX_INDICATORS = 4_000_000;

const EMPTY: readonly Indicator[] = Object.freeze([]);

// ---------------------------------------------------------------------------------------------

/** Open-addressing hash from an n-word key (n = 1, 2 or 4) to the head row of its chain. */
class AddrTable {
  private keys: Uint32Array;
  private heads: Int32Array;
  private mask: number;
  size = 0;

  constructor(private readonly n: number, cap = 16) {
    this.keys = new Uint32Array(cap * n);
    this.heads = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  private hash(w: Uint32Array): number {
    let h = Math.imul(w[0] ^ 0x9e3779b9, 0x85ebca6b);
    for (let i = 1; i < this.n; i++) h = Math.imul((h ^ (h >>> 15)) ^ w[i], 0xcc9e2d51);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h & this.mask;
  }

  private slot(w: Uint32Array): number {
    const n = this.n;
    const keys = this.keys;
    const heads = this.heads;
    let i = this.hash(w);
    for (;;) {
      if (heads[i] < 0) return i;
      const o = i * n;
      let same = keys[o] === w[0];
      for (let k = 1; same && k < n; k++) same = keys[o + k] === w[k];
      if (same) return i;
      i = (i + 1) & this.mask;
    }
  }

  get(w: Uint32Array): number {
    return this.heads[this.slot(w)];
  }

  /** `get` for 1-word (IPv4) tables, without the key array: the per-flow path. */
  get1(k: number): number {
    const keys = this.keys;
    const heads = this.heads;
    const mask = this.mask;
    let h = Math.imul(k ^ 0x9e3779b9, 0x85ebca6b);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const r = heads[i];
      if (r < 0 || keys[i] === k) return r;
    }
  }

  /** Calls `fn` with the first word of every key. */
  forEachFirstWord(fn: (w0: number) => void): void {
    for (let j = 0; j < this.heads.length; j++) if (this.heads[j] >= 0) fn(this.keys[j * this.n]);
  }

  set(w: Uint32Array, head: number): void {
    let i = this.slot(w);
    if (this.heads[i] < 0) {
      if ((this.size + 1) * 2 > this.heads.length) {
        this.grow();
        i = this.slot(w);
      }
      this.size++;
      for (let k = 0; k < this.n; k++) this.keys[i * this.n + k] = w[k];
    }
    this.heads[i] = head;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldHeads = this.heads;
    const cap = oldHeads.length * 2;
    this.keys = new Uint32Array(cap * this.n);
    this.heads = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    const w = new Uint32Array(4);
    for (let j = 0; j < oldHeads.length; j++) {
      if (oldHeads[j] < 0) continue;
      for (let k = 0; k < this.n; k++) w[k] = oldKeys[j * this.n + k];
      const i = this.slot(w);
      for (let k = 0; k < this.n; k++) this.keys[i * this.n + k] = w[k];
      this.heads[i] = oldHeads[j];
    }
  }

  bytes(): number {
    return this.keys.byteLength + this.heads.byteLength;
  }
}

// ---------------------------------------------------------------------------------------------

/** The shared strings of rows: one tuple per distinct (feed, category, severity, description, reference). */
interface MetaTable {
  feed: string[];
  category: IntelCategory[];
  severity: Severity[];
  description: string[];
  reference: string[];
}

interface SetData {
  rows: number;
  type: Uint8Array;
  plen: Uint8Array;
  port: Uint16Array;
  meta: Uint32Array;
  next: Int32Array;
  v4: Uint32Array;
  values: string[];
  metas: MetaTable;
  v4Tables: (AddrTable | null)[];
  v6Tables: (AddrTable | null)[];
  text: Map<string, number>[]; // by type code - T_DOMAIN
  dropped: number;
}

export interface IndicatorSetOptions {
  /** Cap on stored indicators; later ones are counted in `dropped` (default 4,000,000). */
  maxIndicators?: number;
}

/** Per-feed counts, for `vigil intel list`. */
export interface FeedCount {
  readonly feed: string;
  readonly total: number;
  readonly byType: Readonly<Partial<Record<IndicatorType, number>>>;
}

/**
 * Streams normalised indicators into the compact layout (implements the parsers' target).
 * Use `IndicatorSet.build` for `Indicator` objects, `parseFeedInto` / `loadIntelFiles` for text.
 */
export class IndicatorSetBuilder implements IndicatorTarget {
  private rows = 0;
  private cap = 1024;
  private type = new Uint8Array(this.cap);
  private plen = new Uint8Array(this.cap);
  private port = new Uint16Array(this.cap);
  private meta = new Uint32Array(this.cap);
  private next = new Int32Array(this.cap);
  private v4 = new Uint32Array(this.cap);
  private values: string[] = [];
  private readonly metas: MetaTable = { feed: [], category: [], severity: [], description: [], reference: [] };
  private readonly metaIndex = new Map<string, number>();
  private readonly v4Tables: (AddrTable | null)[] = new Array<AddrTable | null>(33).fill(null);
  private readonly v6Tables: (AddrTable | null)[] = new Array<AddrTable | null>(129).fill(null);
  private readonly text: Map<string, number>[] = [new Map(), new Map(), new Map(), new Map(), new Map()];
  private readonly max: number;
  private dropped = 0;
  private feed = '';
  // Last meta tuple seen: consecutive rows almost always share it, so the intern lookup is skipped.
  private lastMeta = -1;
  private lastFeed = '';
  private lastCat = '';
  private lastSev = '';
  private lastDesc = '';
  private lastRef = '';
  private readonly key = new Uint32Array(4);
  private finished = false;

  constructor(opts: IndicatorSetOptions = {}) {
    this.max = opts.maxIndicators ?? DEFAULT_MAX_INDICATORS;
  }

  get size(): number {
    return this.rows;
  }

  beginFeed(feed: string): void {
    this.feed = feed;
  }

  hasRoom(): boolean {
    if (this.rows < this.max) return true;
    this.dropped++;
    return false;
  }

  addNet(net: NetValue, port: number, m: EntryMeta): boolean {
    const v6 = net.v6;
    const p = net.prefix;
    const tables = v6 ? this.v6Tables : this.v4Tables;
    let t = tables[p];
    if (t === null) t = tables[p] = new AddrTable(v6 ? (p <= 64 ? 2 : 4) : 1);
    const key = this.key;
    key[0] = net.words[0];
    key[1] = net.words[1];
    key[2] = net.words[2];
    key[3] = net.words[3];
    const head = t.get(key);
    const metaIdx = this.internMeta(m);
    if (this.isDuplicate(head, port)) return false;
    const r = this.newRow();
    this.type[r] = v6 ? (p === 128 ? T_IP6 : T_CIDR6) : (p === 32 ? T_IP4 : T_CIDR4);
    this.plen[r] = p;
    this.port[r] = port;
    this.meta[r] = metaIdx;
    this.next[r] = head;
    this.v4[r] = v6 ? 0 : net.words[0];
    this.values.push(v6 ? flatCopy(netText(net)) : '');
    t.set(key, r);
    return true;
  }

  addText(type: TextType, value: string, port: number, m: EntryMeta): boolean {
    const code = TEXT_CODES[type];
    const map = this.text[code - T_DOMAIN];
    const got = map.get(value);
    const head = got === undefined ? -1 : got;
    const metaIdx = this.internMeta(m);
    if (this.isDuplicate(head, port)) return false;
    const r = this.newRow();
    value = flatCopy(value);
    this.type[r] = code;
    this.plen[r] = 0;
    this.port[r] = port;
    this.meta[r] = metaIdx;
    this.next[r] = head;
    this.v4[r] = 0;
    this.values.push(value);
    map.set(value, r);
    return true;
  }

  /** Adds one `Indicator` (canonical values as parsers produce them); false if duplicate or unreadable. */
  add(ind: Indicator): boolean {
    if (!this.hasRoom()) return false;
    this.feed = ind.feed;
    const m: EntryMeta = { category: ind.category, severity: ind.severity, description: ind.description, reference: ind.reference };
    if (ind.type === 'ip' || ind.type === 'cidr') {
      return parseNet(ind.value, addNet) && this.addNet(addNet, ind.port, m);
    }
    if (ind.type === 'url') {
      const u = normalizeUrl(ind.value, true);
      return u !== null && this.addText('url', u.value, ind.port, m);
    }
    const v = ind.type === 'domain' ? normalizeDomain(ind.value)
      : ind.type === 'ja3' ? normalizeJa3(ind.value)
        : ind.type === 'ja4' ? normalizeJa4(ind.value)
          : ind.type === 'hash' ? normalizeHex(ind.value, HASH_LENGTHS, true) : null;
    return v !== null && this.addText(ind.type, v, ind.port, m);
  }

  /** Copies the rows of `set` whose feed passes `keep` (an update replaces one feed, keeps the rest). */
  addFrom(set: IndicatorSet, keep: (feed: string) => boolean): number {
    const d = set.data;
    const m: EntryMeta = { category: 'suspicious', severity: 'info', description: '', reference: '' };
    const keepMeta = d.metas.feed.map((f) => keep(f));
    let added = 0;
    for (let r = 0; r < d.rows; r++) {
      const mi = d.meta[r];
      if (!keepMeta[mi]) continue;
      if (!this.hasRoom()) break;
      this.feed = d.metas.feed[mi];
      m.category = d.metas.category[mi];
      m.severity = d.metas.severity[mi];
      m.description = d.metas.description[mi];
      m.reference = d.metas.reference[mi];
      const t = d.type[r];
      let ok: boolean;
      if (t === T_IP4 || t === T_CIDR4) {
        addNet.v6 = false;
        addNet.words.fill(0);
        addNet.words[0] = d.v4[r];
        addNet.prefix = d.plen[r];
        ok = this.addNet(addNet, d.port[r], m);
      } else if (t === T_IP6 || t === T_CIDR6) {
        ok = parseNet(d.values[r], addNet) && this.addNet(addNet, d.port[r], m);
      } else {
        ok = this.addText(TYPE_NAMES[t] as TextType, d.values[r], d.port[r], m);
      }
      if (ok) added++;
    }
    return added;
  }

  finish(): IndicatorSet {
    if (this.finished) throw new Error('IndicatorSetBuilder.finish called twice');
    this.finished = true;
    const n = this.rows;
    // Trim the growth slack: the set lives for hours, the builder for a second.
    const data: SetData = {
      rows: n,
      type: this.type.slice(0, n),
      plen: this.plen.slice(0, n),
      port: this.port.slice(0, n),
      meta: this.meta.slice(0, n),
      next: this.next.slice(0, n),
      v4: this.v4.slice(0, n),
      values: this.values.slice(),
      metas: this.metas,
      v4Tables: this.v4Tables,
      v6Tables: this.v6Tables,
      text: this.text,
      dropped: this.dropped,
    };
    return new IndicatorSet(data);
  }

  private isDuplicate(head: number, port: number): boolean {
    const feedOfMeta = this.metas.feed;
    for (let r = head; r >= 0; r = this.next[r]) {
      if (this.port[r] === port && feedOfMeta[this.meta[r]] === this.feed) return true;
    }
    return false;
  }

  private internMeta(m: EntryMeta): number {
    const feed = this.feed;
    if (this.lastMeta >= 0 && feed === this.lastFeed && m.category === this.lastCat && m.severity === this.lastSev
      && m.description === this.lastDesc && m.reference === this.lastRef) return this.lastMeta;
    const k = feed + '\u0000' + m.category + '\u0000' + m.severity + '\u0000' + m.description + '\u0000' + m.reference;
    let idx = this.metaIndex.get(k);
    if (idx === undefined) {
      idx = this.metas.feed.length;
      this.metas.feed.push(flatCopy(feed));
      this.metas.category.push(m.category);
      this.metas.severity.push(m.severity);
      this.metas.description.push(flatCopy(m.description));
      this.metas.reference.push(flatCopy(m.reference));
      this.metaIndex.set(k, idx);
    }
    this.lastMeta = idx;
    this.lastFeed = feed;
    this.lastCat = m.category;
    this.lastSev = m.severity;
    this.lastDesc = m.description;
    this.lastRef = m.reference;
    return idx;
  }

  private newRow(): number {
    if (this.rows === this.cap) {
      const cap = this.cap * 2;
      this.type = growU8(this.type, cap);
      this.plen = growU8(this.plen, cap);
      const port = new Uint16Array(cap); port.set(this.port); this.port = port;
      const meta = new Uint32Array(cap); meta.set(this.meta); this.meta = meta;
      const next = new Int32Array(cap); next.set(this.next); this.next = next;
      const v4 = new Uint32Array(cap); v4.set(this.v4); this.v4 = v4;
      this.cap = cap;
    }
    return this.rows++;
  }
}

const addNet = new NetValue();

const copyBuf = Buffer.allocUnsafe(8192);

/**
 * A fresh flat copy of `s`. Values reach the builder as V8 slices of a feed line or as chains of
 * concatenations (a canonical IPv6 text is ~16 of them): kept as they are, such a string costs
 * 3-8 times its length and can pin a whole CSV line. Measured on the 1-million bench: -45 MB.
 */
export function flatCopy(s: string): string {
  if (s.length === 0) return '';
  if (s.length * 3 > copyBuf.length) return Buffer.from(s, 'utf8').toString('utf8');
  const n = copyBuf.write(s, 0, 'utf8');
  return copyBuf.toString('utf8', 0, n);
}

function growU8(a: Uint8Array, cap: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(cap);
  b.set(a);
  return b;
}

// ---------------------------------------------------------------------------------------------

const lookNet = new NetValue();
const lookKey = new Uint32Array(4);

export class IndicatorSet implements IntelLookup {
  /** @internal rows and tables; read by `IndicatorSetBuilder.addFrom`. */
  readonly data: SetData;
  private readonly v4Lens: Uint8Array;
  private readonly v6Lens: Uint8Array;
  /** v4Tables by position in v4Lens (no sparse-array read per probe). */
  private readonly v4ByLen: AddrTable[];
  /**
   * Pre-filters: most lookups are misses (an ordinary flow), and a miss should not cost one probe
   * per prefix length. IPv4: one bit per /24 (2 MiB) set for every /24 an indicator touches;
   * IPv6: one bit per hashed /32 for indicators of /32 or longer (shorter ones are always probed).
   */
  private readonly v4Filter: Uint32Array | null;
  private readonly v6Filter: Uint32Array | null;
  private readonly cache = new Map<number, Indicator>();

  /** Use `IndicatorSet.build`, `IndicatorSetBuilder` or `loadIntelFiles`. */
  constructor(data: SetData) {
    this.data = data;
    this.v4Lens = presentLengths(data.v4Tables);
    this.v6Lens = presentLengths(data.v6Tables);
    this.v4ByLen = Array.from(this.v4Lens, (len) => data.v4Tables[len] as AddrTable);
    this.v4Filter = this.v4Lens.length === 0 ? null : new Uint32Array(1 << 19);
    const f4 = this.v4Filter;
    if (f4 !== null) {
      for (const len of this.v4Lens) {
        const span = len >= 24 ? 1 : 2 ** (24 - len);
        (data.v4Tables[len] as AddrTable).forEachFirstWord((w0) => {
          const first = w0 >>> 8;
          for (let b = first; b < first + span; b++) f4[b >>> 5] |= 1 << (b & 31);
        });
      }
    }
    this.v6Filter = this.v6Lens.some((l) => l >= 32) ? new Uint32Array(1 << 15) : null;
    const f6 = this.v6Filter;
    if (f6 !== null) {
      for (const len of this.v6Lens) {
        if (len < 32) continue;
        (data.v6Tables[len] as AddrTable).forEachFirstWord((w0) => {
          const b = v6FilterBit(w0);
          f6[b >>> 5] |= 1 << (b & 31);
        });
      }
    }
  }

  /**
   * Builds a set from parse results or plain indicator lists. Values are re-read (any spelling
   * the parsers accept), but not filtered: reserved-space and cap decisions belong to parsing,
   * so hand-made lists (tests, `intel check`) may hold documentation addresses.
   */
  static build(feeds: readonly ParseResult[] | readonly Indicator[][], opts: IndicatorSetOptions = {}): IndicatorSet {
    const b = new IndicatorSetBuilder(opts);
    for (const f of feeds) {
      const list: readonly Indicator[] = Array.isArray(f) ? f : (f as ParseResult).indicators;
      for (let i = 0; i < list.length; i++) b.add(list[i]);
    }
    return b.finish();
  }

  static empty(): IndicatorSet {
    return new IndicatorSetBuilder().finish();
  }

  get size(): number {
    return this.data.rows;
  }

  /** Indicators not stored because the set was full. */
  get dropped(): number {
    return this.data.dropped;
  }

  matchIp(ip: string): readonly Indicator[] {
    if (this.data.rows === 0) return EMPTY;
    let s = ip;
    if (s.charCodeAt(0) === 91) s = s.slice(1, s.indexOf(']') > 0 ? s.indexOf(']') : s.length); // [v6]
    if (s.indexOf('/') >= 0 || !parseNet(s, lookNet)) return EMPTY;
    return this.matchNet(lookNet);
  }

  /**
   * Rows listing this address or network or any network covering it, longest prefix first. A
   * parsed value avoids re-reading text (the matcher can keep a `NetValue` per record).
   */
  matchNet(net: NetValue): readonly Indicator[] {
    let out: Indicator[] | null = null;
    const w = net.words;
    const key = lookKey;
    if (!net.v6) {
      const lens = this.v4Lens;
      const a = w[0];
      const f4 = this.v4Filter;
      if (f4 === null) return EMPTY;
      const b = a >>> 8;
      if (net.prefix >= 24 && (f4[b >>> 5] & (1 << (b & 31))) === 0) return EMPTY;
      const tables = this.v4ByLen;
      for (let i = 0; i < lens.length; i++) {
        const len = lens[i];
        if (len > net.prefix) continue;
        const h = tables[i].get1((a & MASK32[len]) >>> 0);
        if (h >= 0) out = this.collect(h, out);
      }
    } else {
      const lens = this.v6Lens;
      const f6 = this.v6Filter;
      const bit = v6FilterBit(w[0]);
      const maybeLong = f6 !== null && net.prefix >= 32 && (f6[bit >>> 5] & (1 << (bit & 31))) !== 0;
      for (let i = 0; i < lens.length; i++) {
        const len = lens[i];
        if (len > net.prefix) continue;
        if (len >= 32 && !maybeLong && net.prefix >= 32) continue;
        let left = len;
        for (let k = 0; k < 4; k++) {
          key[k] = (w[k] & MASK32[left >= 32 ? 32 : left < 0 ? 0 : left]) >>> 0;
          left -= 32;
        }
        const h = (this.data.v6Tables[len] as AddrTable).get(key);
        if (h >= 0) out = this.collect(h, out);
      }
    }
    return out ?? EMPTY;
  }

  matchDomain(name: string): readonly Indicator[] {
    const map = this.data.text[T_DOMAIN - T_DOMAIN];
    if (map.size === 0 || name.length === 0) return EMPTY;
    let n = name;
    if (n.charCodeAt(n.length - 1) === 46) n = n.slice(0, -1);
    if (hasUpper(n)) n = n.toLowerCase();
    let out: Indicator[] | null = null;
    let pos = 0;
    for (;;) {
      const dot = n.indexOf('.', pos);
      if (dot < 0) break; // a single label is never an indicator
      const h = map.get(pos === 0 ? n : n.slice(pos));
      if (h !== undefined) out = this.collect(h, out);
      pos = dot + 1;
    }
    return out ?? EMPTY;
  }

  matchUrl(hostAndPath: string): readonly Indicator[] {
    const map = this.data.text[T_URL - T_DOMAIN];
    if (map.size === 0) return EMPTY;
    const u = normalizeUrl(hostAndPath, true);
    if (u === null) return EMPTY;
    let out: Indicator[] | null = null;
    const v = u.value;
    const slash = u.host === '' ? 0 : v.indexOf('/');
    const q = v.indexOf('?');
    const tried: string[] = [];
    const probe = (k: string): void => {
      if (k.length === 0 || tried.indexOf(k) >= 0) return;
      tried.push(k);
      const h = map.get(k);
      if (h !== undefined) out = this.collect(h, out);
    };
    probe(v);
    if (q >= 0) probe(trimSlash(v.slice(0, q)));
    if (slash > 0) {
      // Host-less path trails (Maltrail `/izuku.sh`) match on any host.
      const path = v.slice(slash);
      probe(path);
      if (q >= 0) probe(trimSlash(path.slice(0, path.indexOf('?'))));
    }
    return out ?? EMPTY;
  }

  matchJa3(md5: string): readonly Indicator[] {
    return this.matchText(T_JA3, md5);
  }

  matchJa4(ja4: string): readonly Indicator[] {
    return this.matchText(T_JA4, ja4);
  }

  /** File / certificate hashes (md5, sha1, sha256, sha512 hex). */
  matchHash(hex: string): readonly Indicator[] {
    return this.matchText(T_HASH, hex);
  }

  lookup(value: string): readonly Indicator[] {
    const s = value.trim();
    if (s.length === 0) return EMPTY;
    if (parseNet(s.charCodeAt(0) === 91 ? s.replace(/^\[|\]$/g, '') : s, lookNet)) {
      const nets = this.matchNet(lookNet);
      if (s.indexOf('/') < 0) return nets;
      // `1.2.3.4/24` is a network, but also the URL `1.2.3.4/24` (host + path): report both.
      const urls = this.matchUrl(s);
      return urls.length === 0 ? nets : nets.length === 0 ? urls : [...nets, ...urls];
    }
    // ip:port → the address's indicators
    const m = /^\[?([0-9a-fA-F:.]+)\]?:([0-9]{1,5})$/.exec(s);
    if (m !== null && parseNet(m[1], lookNet)) return this.matchNet(lookNet);
    const hex = normalizeHex(s, HASH_LENGTHS, true);
    if (hex !== null) {
      const a = hex.length === 32 ? this.matchText(T_JA3, hex) : EMPTY;
      const b = this.matchText(T_HASH, hex);
      return a.length === 0 ? b : b.length === 0 ? a : [...a, ...b];
    }
    const ja4 = normalizeJa4(s);
    if (ja4 !== null) return this.matchText(T_JA4, ja4);
    if (s.indexOf('/') >= 0 || s.indexOf('?') >= 0) return this.matchUrl(s);
    const d = normalizeDomain(s);
    if (d !== null) return this.matchDomain(d);
    return EMPTY;
  }

  /** Every indicator of one feed (or all), materialised: for `intel check` listings and exports. */
  indicators(feed?: string): Indicator[] {
    return this.rowsWhere(0, this.data.rows, feed);
  }

  /** Materialised rows [from, to), optionally of one feed. */
  rowsWhere(from: number, to: number, feed?: string): Indicator[] {
    const out: Indicator[] = [];
    const d = this.data;
    for (let r = from; r < to && r < d.rows; r++) {
      if (feed !== undefined && d.metas.feed[d.meta[r]] !== feed) continue;
      out.push(this.materialize(r));
    }
    return out;
  }

  /** Counts per feed and type, in feed order of first appearance. */
  feedCounts(): FeedCount[] {
    const d = this.data;
    const byFeed = new Map<string, { total: number; byType: Partial<Record<IndicatorType, number>> }>();
    for (const f of d.metas.feed) if (!byFeed.has(f)) byFeed.set(f, { total: 0, byType: {} });
    for (let r = 0; r < d.rows; r++) {
      const c = byFeed.get(d.metas.feed[d.meta[r]]) as { total: number; byType: Partial<Record<IndicatorType, number>> };
      c.total++;
      const t = TYPE_NAMES[d.type[r]];
      c.byType[t] = (c.byType[t] ?? 0) + 1;
    }
    return [...byFeed].map(([feed, c]) => ({ feed, total: c.total, byType: c.byType }));
  }

  /** Rough bytes held by rows and tables (not the text values' strings), for the bench and `intel list`. */
  approxBytes(): number {
    const d = this.data;
    let n = d.type.byteLength + d.plen.byteLength + d.port.byteLength + d.meta.byteLength + d.next.byteLength
      + d.v4.byteLength + d.values.length * 8;
    for (const t of d.v4Tables) if (t !== null) n += t.bytes();
    for (const t of d.v6Tables) if (t !== null) n += t.bytes();
    for (const m of d.text) n += m.size * 40;
    return n;
  }

  private matchText(code: number, value: string): readonly Indicator[] {
    const map = this.data.text[code - T_DOMAIN];
    if (map.size === 0) return EMPTY;
    const h = map.get(hasUpper(value) ? value.toLowerCase() : value);
    return h === undefined ? EMPTY : this.collect(h, null);
  }

  private collect(head: number, out: Indicator[] | null): Indicator[] {
    const o = out ?? [];
    for (let r = head; r >= 0; r = this.data.next[r]) o.push(this.materialize(r));
    return o;
  }

  private materialize(r: number): Indicator {
    const hit = this.cache.get(r);
    if (hit !== undefined) return hit;
    const d = this.data;
    const t = d.type[r];
    const mi = d.meta[r];
    const value = t === T_IP4 ? ipv4String(d.v4[r])
      : t === T_CIDR4 ? ipv4String(d.v4[r]) + '/' + d.plen[r]
        : d.values[r];
    const ind: Indicator = Object.freeze({
      type: TYPE_NAMES[t],
      value,
      port: d.port[r],
      feed: d.metas.feed[mi],
      category: d.metas.category[mi],
      severity: d.metas.severity[mi],
      description: d.metas.description[mi],
      reference: d.metas.reference[mi],
    });
    // Hits repeat (a device polling its C2 every minute): keep the recent ones, bounded.
    if (this.cache.size >= 4096) this.cache.clear();
    this.cache.set(r, ind);
    return ind;
  }
}

/** Bit of the IPv6 pre-filter for the top 32 bits of an address (2^20 bits). */
function v6FilterBit(w0: number): number {
  let h = Math.imul(w0 ^ 0x7f4a7c15, 0x85ebca6b);
  h ^= h >>> 15;
  return h & 0xfffff;
}

function presentLengths(tables: readonly (AddrTable | null)[]): Uint8Array {
  const lens: number[] = [];
  for (let len = tables.length - 1; len >= 0; len--) if (tables[len] !== null) lens.push(len);
  return Uint8Array.from(lens);
}

function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}
