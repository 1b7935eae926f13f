/**
 * Plain lists: one IP, CIDR, IP range, `ip:port`, domain, URL or hash per line (typed by shape),
 * `#`, `;` and `//` comment lines, trailing `# …` / `; …` comments (kept as the entry's
 * description, as `1.10.16.0/20 ; SBL256894` says why the entry is listed). Covers the Tor bulk
 * exit list, Feodo's `ipblocklist.txt`, URLhaus `text_recent` and most "one per line" feeds.
 */
import type { Emitter } from './emit.js';
import { forEachLine, stripTrailingComment, type FeedInput } from './lines.js';
import { NetValue, parseNet } from '../normalize.js';

export function parsePlain(input: FeedInput, e: Emitter): void {
  forEachLine(input, (raw) => {
    const line = raw.trim();
    if (line.length === 0 || isCommentLine(line)) return;
    let { data, comment } = stripTrailingComment(line, '#');
    if (comment === '' && data.indexOf(';') > 0) ({ data, comment } = stripTrailingComment(data, ';'));
    if (data.length === 0) return;
    // Extra words after the value are a description ("1.2.3.4  scanner"); a range is "a - b".
    const m = /^(\S+)\s*-\s*(\S+)$/.exec(data);
    if (m !== null && emitRange(m[1], m[2], e, comment)) return;
    const sp = data.search(/\s/);
    const value = sp < 0 ? data : data.slice(0, sp);
    const extra = sp < 0 ? '' : data.slice(sp).trim();
    const desc = comment !== '' ? comment : extra;
    const before = e.meta.description;
    if (desc !== '') e.meta.description = desc;
    if (!e.auto(value)) e.bad(raw);
    e.meta.description = before;
  });
}

export function isCommentLine(line: string): boolean {
  const c = line.charCodeAt(0);
  return c === 35 || c === 59 || (c === 47 && line.charCodeAt(1) === 47); // # ; //
}

const lo = new NetValue();
const hi = new NetValue();
const part = new NetValue();
/** A range is split into at most this many CIDRs (≤ /8-wide ranges need at most 48). */
const MAX_RANGE_CIDRS = 64;

/** `a.b.c.d-e.f.g.h` (IPv4) as the smallest list of covering CIDRs; false when not a range. */
export function emitRange(a: string, b: string, e: Emitter, desc: string): boolean {
  if (!parseNet(a, lo) || !parseNet(b, hi) || lo.v6 || hi.v6 || lo.prefix !== 32 || hi.prefix !== 32) return false;
  let start = lo.words[0];
  const end = hi.words[0];
  if (start > end) { e.bad(a + '-' + b); return true; }
  // Wider than a /8 is a feed mistake, as for networks (normalize.ts MIN_PREFIX_V4).
  if (end - start + 1 > 2 ** 24) { e.skip('broad'); return true; }
  const cidrs: [number, number][] = [];
  while (start <= end && cidrs.length <= MAX_RANGE_CIDRS) {
    // Largest block aligned at `start` that does not pass `end`.
    let size = 32;
    while (size > 0) {
      const wider = 2 ** (33 - size); // addresses in a block one bit wider
      if (start % wider !== 0 || start + wider - 1 > end) break;
      size--;
    }
    cidrs.push([start, size]);
    start += 2 ** (32 - size);
  }
  if (cidrs.length > MAX_RANGE_CIDRS) { e.bad(a + '-' + b); return true; }
  const before = e.meta.description;
  if (desc !== '') e.meta.description = desc;
  for (const [net, size] of cidrs) {
    part.v6 = false;
    part.words.fill(0);
    part.words[0] = net >>> 0;
    part.prefix = size;
    e.emitNet(part, 0);
  }
  e.meta.description = before;
  return true;
}
