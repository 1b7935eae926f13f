/**
 * Feed text as lines. Parsers read bytes, not one big string: V8 keeps a substring of a large
 * string as a slice that pins the whole parent, so a value taken from a 30 MB feed text would keep
 * the 30 MB alive for as long as the indicator set lives. Decoding each line from the bytes gives
 * every line its own small string (formats.md feeds are ASCII/UTF-8).
 */

import { isAscii } from 'node:buffer';

export type FeedInput = string | Uint8Array;

export function toBytes(input: FeedInput): Buffer {
  if (typeof input === 'string') return Buffer.from(input, 'utf8');
  return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

export function toText(input: FeedInput): string {
  if (typeof input === 'string') return input;
  return toBytes(input).toString('utf8');
}

/** The feed as one JSON document (STIX bundle, MISP event), or undefined after counting it as malformed. */
export function jsonDocument(input: FeedInput, bad: (why: string) => void): unknown {
  try {
    return JSON.parse(toText(input)) as unknown;
  } catch (err) {
    bad('not JSON: ' + (err instanceof Error ? err.message : ''));
    return undefined;
  }
}

/**
 * Calls `fn` with each line (without `\r\n` / `\n`, a leading BOM removed) and its 1-based number.
 * Returning `false` from `fn` stops the walk.
 */
export function forEachLine(input: FeedInput, fn: (line: string, lineNo: number) => boolean | void): void {
  const buf = toBytes(input);
  const n = buf.length;
  let pos = 0;
  if (n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
  let lineNo = 0;
  // Almost every feed is ASCII: latin1 decoding is then exact and cheaper than UTF-8.
  const enc: BufferEncoding = isAscii(buf) ? 'latin1' : 'utf8';
  while (pos < n) {
    let end = buf.indexOf(10, pos);
    if (end < 0) end = n;
    let stop = end;
    if (stop > pos && buf[stop - 1] === 13) stop--;
    lineNo++;
    const line = stop > pos ? buf.toString(enc, pos, stop) : '';
    if (fn(line, lineNo) === false) return;
    pos = end + 1;
  }
}

/** The line without a trailing comment starting at the first `marker` preceded by whitespace (or at 0). */
export function stripTrailingComment(line: string, marker: string): { data: string; comment: string } {
  let i = line.indexOf(marker);
  while (i > 0) {
    const c = line.charCodeAt(i - 1);
    if (c === 32 || c === 9) break;
    i = line.indexOf(marker, i + 1);
  }
  if (i < 0) return { data: line.trim(), comment: '' };
  return { data: line.slice(0, i).trim(), comment: line.slice(i + marker.length).trim() };
}

/** First whitespace-separated token of a trimmed line and the rest. */
export function splitWs(line: string): string[] {
  return line.split(/[ \t]+/).filter((t) => t.length > 0);
}
