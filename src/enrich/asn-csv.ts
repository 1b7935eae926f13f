/**
 * ip-location-db's numeric ASN CSVs (`start,end,asn,org`; IPv4 as 32-bit integers, IPv6 as
 * 128-bit decimal integers) loaded into typed arrays and searched by bisection.
 *
 * Why this shape: 410,000 IPv4 and 100,000 IPv6 ranges as objects would cost well over 100 MB of
 * heap and seconds of GC; as typed arrays they are ~9 MB. The files are read in 1 MiB chunks and
 * scanned byte by byte (no line strings, no split), and an organisation name is decoded only the
 * first time its AS number appears: in this data an AS has one name, so names are kept per AS
 * (75,000 strings), not per range.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const CHUNK = 1 << 20;

/** One address family's ranges, sorted by start. IPv6 bounds take four words each (big-endian). */
export interface RangeTable {
  /** Words per bound: 1 for IPv4, 4 for IPv6. */
  readonly width: 1 | 4;
  readonly count: number;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly asns: Uint32Array;
  /** Some range starts inside the one before it: lookups then also look a few ranges back. */
  readonly overlaps: boolean;
}

export interface AsnTables {
  readonly v4: RangeTable;
  readonly v6: RangeTable;
  /** AS number → organisation name (first name seen for that AS). */
  readonly orgs: Map<number, string>;
  /** Lines that did not parse (skipped and counted, never fatal). */
  readonly badLines: number;
}

/** A Uint32Array that grows; `done()` returns an exactly sized copy so slack is not kept. */
class U32s {
  a: Uint32Array;
  n = 0;
  constructor(cap: number) {
    this.a = new Uint32Array(Math.max(16, cap));
  }
  room(k: number): void {
    if (this.n + k <= this.a.length) return;
    const b = new Uint32Array(Math.ceil((this.a.length + k) * 1.5));
    b.set(this.a.subarray(0, this.n));
    this.a = b;
  }
  done(): Uint32Array {
    return this.a.slice(0, this.n);
  }
}

/** Parses one file. Rows are appended to the builders; returns the number of bad lines. */
class CsvScanner {
  readonly width: 1 | 4;
  readonly starts: U32s;
  readonly ends: U32s;
  readonly asns: U32s;
  readonly orgs: Map<number, string>;
  bad = 0;
  unsorted = false;
  overlaps = false;
  /** Scratch for one 128-bit bound while parsing. */
  readonly #limbs = new Uint32Array(4);
  #pos = 0;

  constructor(width: 1 | 4, expectRows: number, orgs: Map<number, string>) {
    this.width = width;
    this.starts = new U32s(expectRows * width);
    this.ends = new U32s(expectRows * width);
    this.asns = new U32s(expectRows);
    this.orgs = orgs;
  }

  /** One line in buf[from, to) (no newline). */
  line(buf: Buffer, from: number, to: number): void {
    if (to > from && buf[to - 1] === 13) to--; // CRLF files
    if (to === from) return;
    const w = this.width;
    const s = this.starts;
    const e = this.ends;
    s.room(w);
    e.room(w);
    this.#pos = from;
    if (!this.#bound(buf, to, s.a, s.n) || !this.#comma(buf, to) || !this.#bound(buf, to, e.a, e.n) || !this.#comma(buf, to)) {
      this.bad++;
      return;
    }
    const asn = this.#decimal(buf, to);
    if (asn < 0 || asn > 0xffffffff || (this.#pos < to && buf[this.#pos] !== 44)) {
      this.bad++;
      return;
    }
    if (compare(e.a, e.n, s.a, s.n, w) < 0) {
      this.bad++; // end before start
      return;
    }
    const n = this.asns.n;
    if (n > 0) {
      const c = compare(s.a, s.n, s.a, s.n - w, w);
      if (c < 0) this.unsorted = true;
      if (compare(s.a, s.n, e.a, e.n - w, w) <= 0) this.overlaps = true;
    }
    s.n += w;
    e.n += w;
    this.asns.room(1);
    this.asns.a[this.asns.n++] = asn;
    if (this.#pos < to && !this.orgs.has(asn)) {
      const org = orgText(buf, this.#pos + 1, to);
      if (org !== '') this.orgs.set(asn, org);
    }
  }

  #comma(buf: Buffer, to: number): boolean {
    if (this.#pos >= to || buf[this.#pos] !== 44) return false;
    this.#pos++;
    return true;
  }

  /** A non-negative decimal up to 2^53 at #pos, or -1. */
  #decimal(buf: Buffer, to: number): number {
    let i = this.#pos;
    let v = 0;
    const start = i;
    while (i < to) {
      const c = buf[i];
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      if (++i - start > 15) return -1;
    }
    if (i === start) return -1;
    this.#pos = i;
    return v;
  }

  /** An address bound at #pos written into out[at, at + width). */
  #bound(buf: Buffer, to: number, out: Uint32Array, at: number): boolean {
    if (this.width === 1) {
      const v = this.#decimal(buf, to);
      if (v < 0 || v > 0xffffffff) return false;
      out[at] = v;
      return true;
    }
    // 128-bit decimal: multiply-add over four 32-bit limbs (each step stays below 2^36, exact
    // in a double), so no BigInt per line.
    const l = this.#limbs;
    l.fill(0);
    let i = this.#pos;
    const start = i;
    while (i < to) {
      const c = buf[i];
      if (c < 48 || c > 57) break;
      let carry = c - 48;
      for (let k = 3; k >= 0; k--) {
        const v = l[k] * 10 + carry;
        l[k] = v % 4294967296;
        carry = Math.floor(v / 4294967296);
      }
      if (carry !== 0 || ++i - start > 39) return false; // above 2^128
    }
    if (i === start) return false;
    this.#pos = i;
    out.set(l, at);
    return true;
  }
}

/** The organisation field: plain, or double-quoted with "" for a quote. */
function orgText(buf: Buffer, from: number, to: number): string {
  if (from < to && buf[from] === 34) {
    let end = to;
    if (end > from + 1 && buf[end - 1] === 34) end--;
    const s = buf.toString('utf8', from + 1, end);
    return s.indexOf('""') >= 0 ? s.replaceAll('""', '"') : s;
  }
  return buf.toString('utf8', from, to).trim();
}

/** Lexicographic compare of two bounds of `w` words: a[ai..] vs b[bi..]. */
export function compare(a: Uint32Array, ai: number, b: Uint32Array, bi: number, w: number): number {
  for (let k = 0; k < w; k++) {
    const x = a[ai + k];
    const y = b[bi + k];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function scanFile(path: string, sc: CsvScanner): void {
  const fd = openSync(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(CHUNK);
    let have = 0; // bytes in buf not yet consumed
    for (;;) {
      if (have === buf.length) {
        // A line longer than the buffer: grow (only a damaged file does this).
        const b = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(b, 0, 0, have);
        buf = b;
      }
      const got = readSync(fd, buf, have, buf.length - have, null);
      const len = have + got;
      let from = 0;
      let nl = buf.indexOf(10, 0);
      while (nl >= 0 && nl < len) {
        sc.line(buf, from, nl);
        from = nl + 1;
        nl = buf.indexOf(10, from);
      }
      if (got === 0) {
        if (from < len) sc.line(buf, from, len); // last line without a newline
        return;
      }
      buf.copy(buf, 0, from, len);
      have = len - from;
    }
  } finally {
    closeSync(fd);
  }
}

function finishTable(sc: CsvScanner): RangeTable {
  const w = sc.width;
  let starts = sc.starts.done();
  let ends = sc.ends.done();
  let asns = sc.asns.done();
  const count = asns.length;
  let overlaps = sc.overlaps;
  if (sc.unsorted) {
    // A user's file out of order: sort an index permutation once, then rebuild the arrays.
    const idx = new Uint32Array(count);
    for (let i = 0; i < count; i++) idx[i] = i;
    idx.sort((x, y) => compare(starts, x * w, starts, y * w, w));
    const s2 = new Uint32Array(count * w);
    const e2 = new Uint32Array(count * w);
    const a2 = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      const j = idx[i];
      for (let k = 0; k < w; k++) {
        s2[i * w + k] = starts[j * w + k];
        e2[i * w + k] = ends[j * w + k];
      }
      a2[i] = asns[j];
    }
    starts = s2;
    ends = e2;
    asns = a2;
    overlaps = false;
    for (let i = 1; i < count && !overlaps; i++) overlaps = compare(starts, i * w, ends, (i - 1) * w, w) <= 0;
  }
  return { width: w, count, starts, ends, asns, overlaps };
}

function emptyTable(w: 1 | 4): RangeTable {
  return { width: w, count: 0, starts: new Uint32Array(0), ends: new Uint32Array(0), asns: new Uint32Array(0), overlaps: false };
}

/** Loads the numeric CSVs (either may be null). Throws the fs error when a file cannot be read. */
export function loadAsnCsv(v4Path: string | null, v6Path: string | null): AsnTables {
  const orgs = new Map<number, string>();
  let bad = 0;
  const table = (path: string | null, w: 1 | 4, bytesPerRow: number): RangeTable => {
    if (path === null) return emptyTable(w);
    const fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    closeSync(fd);
    const sc = new CsvScanner(w, Math.ceil(size / bytesPerRow), orgs);
    scanFile(path, sc);
    bad += sc.bad;
    return finishTable(sc);
  };
  // Row sizes of the bundled files (52 and 110 bytes on average) so the arrays rarely grow.
  const v4 = table(v4Path, 1, 50);
  const v6 = table(v6Path, 4, 105);
  return { v4, v6, orgs, badLines: bad };
}

/** Index of the range holding the address in q[0..width), or -1. */
export function findRange(t: RangeTable, q: Uint32Array): number {
  const w = t.width;
  const s = t.starts;
  // Last range whose start <= q.
  let lo = 0;
  let hi = t.count - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(s, mid * w, q, 0, w) <= 0) {
      at = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (at < 0) return -1;
  if (compare(q, 0, t.ends, at * w, w) <= 0) return at;
  if (!t.overlaps) return -1;
  // A smaller range nested in a larger one ended before q: the larger one may still hold it.
  for (let i = at - 1, k = 0; i >= 0 && k < 16; i--, k++) {
    if (compare(q, 0, t.ends, i * w, w) <= 0) return i;
  }
  return -1;
}
