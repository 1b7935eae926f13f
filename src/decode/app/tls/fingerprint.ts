/**
 * TLS fingerprints, computed once per flow when the ssl record is written (formats.md §1.12).
 *
 * JA3/JA3S (salesforce, BSD-3): decimal values in wire order, GREASE removed, MD5.
 * JA4 (FoxIO, BSD-3): `a_b_c` with sorted hex lists and truncated SHA-256.
 * JA4S and the rest of "JA4+" are under the FoxIO License 1.1 (not BSD; no monetised use without
 * an OEM licence), so they are deliberately not implemented here.
 */
import * as nodeCrypto from 'node:crypto';
import { EXT_ALPN, EXT_SERVER_NAME, isGrease, ja4VersionCode } from './consts.js';
import type { ClientHello, ServerHello } from './hello.js';

function joinDecimal(v: readonly number[]): string {
  let s = '';
  let first = true;
  for (let i = 0; i < v.length; i++) {
    if (isGrease(v[i])) continue;
    if (!first) s += '-';
    s += v[i];
    first = false;
  }
  return s;
}

// One-shot hashing (Node >= 20.12) costs a third of createHash().update().digest() per call.
type OneShot = (alg: string, data: string, enc: 'hex') => string;
const oneShot = (nodeCrypto as unknown as { hash?: OneShot }).hash;

/**
 * A device sends the same hello again and again, so the same fingerprint strings recur: keep a
 * bounded memo of string → hash (cleared when full; rule 4).
 */
const MEMO_MAX = 4096;
const memo = { md5: new Map<string, string>(), sha256: new Map<string, string>() };

function hashHex(alg: 'md5' | 'sha256', s: string): string {
  const m = memo[alg];
  let h = m.get(s);
  if (h === undefined) {
    // Fingerprint strings are ASCII (digits, hex, separators), so UTF-8 and latin1 agree.
    h = oneShot ? oneShot(alg, s, 'hex') : nodeCrypto.createHash(alg).update(s, 'latin1').digest('hex');
    if (m.size >= MEMO_MAX) m.clear();
    m.set(s, h);
  }
  return h;
}

export function md5Hex(s: string): string {
  return hashHex('md5', s);
}

function sha256Trunc12(s: string): string {
  return hashHex('sha256', s).slice(0, 12);
}

export function ja3String(ch: ClientHello): string {
  return ch.legacyVersion + ',' + joinDecimal(ch.ciphers) + ',' + joinDecimal(ch.extensions) + ','
    + joinDecimal(ch.groups) + ',' + joinDecimal(ch.pointFormats);
}

export function ja3sString(sh: ServerHello): string {
  return sh.version + ',' + sh.cipher + ',' + joinDecimal(sh.extensions);
}

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => (i | 0x100).toString(16).slice(1));

function hex4(v: number): string {
  return HEX2[(v >> 8) & 255] + HEX2[v & 255];
}

/** Sorted 4-hex list: sorting the numbers gives the same order as sorting the zero-padded hex. */
function sortedHexList(v: number[]): string {
  v.sort((x, y) => x - y);
  let s = '';
  for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + hex4(v[i]);
  return s;
}

function twoDigits(n: number): string {
  const c = n > 99 ? 99 : n;
  return c < 10 ? '0' + c : String(c);
}

/** The three JA4 parts in raw form (`JA4_r`), useful to explain a hash. */
export interface Ja4Parts {
  a: string;
  /** Sorted 4-hex cipher list, comma-joined. */
  b: string;
  /** Sorted 4-hex extensions without SNI/ALPN, then `_` + signature algorithms if any. */
  c: string;
}

export function ja4Parts(ch: ClientHello): Ja4Parts {
  let version = ch.legacyVersion;
  // The highest non-GREASE supported_versions entry wins over the legacy field.
  let best = -1;
  for (const v of ch.supportedVersions) if (!isGrease(v) && v > best) best = v;
  if (best >= 0) version = best;

  const ciphers: number[] = [];
  for (const v of ch.ciphers) if (!isGrease(v)) ciphers.push(v);
  let extCount = 0;
  let hasSni = false;
  const exts: number[] = [];
  for (const v of ch.extensions) {
    if (isGrease(v)) continue;
    extCount++;
    if (v === EXT_SERVER_NAME) { hasSni = true; continue; }
    if (v === EXT_ALPN) continue;
    exts.push(v);
  }
  let sigs = '';
  for (const v of ch.sigAlgs) if (!isGrease(v)) sigs += (sigs ? ',' : '') + hex4(v);

  const a = 't' + ja4VersionCode(version) + (hasSni ? 'd' : 'i') + twoDigits(ciphers.length)
    + twoDigits(extCount) + ch.ja4Alpn;
  let c = sortedHexList(exts);
  if (sigs.length > 0) c += '_' + sigs;
  return { a, b: sortedHexList(ciphers), c };
}

export function ja4(ch: ClientHello): string {
  const p = ja4Parts(ch);
  const b = p.b === '' ? '000000000000' : sha256Trunc12(p.b);
  const c = p.c === '' ? '000000000000' : sha256Trunc12(p.c);
  return p.a + '_' + b + '_' + c;
}
