/**
 * SSH_MSG_KEXINIT parsing, algorithm negotiation (RFC 4253 §7.1, spelled as Zeek's
 * `find_alg`/`find_bidirectional_alg`) and the host key fingerprint. Runs once per side per
 * connection, so building strings here is fine.
 */
import { createHash } from 'node:crypto';
import { safeString } from '../../../util/text.js';
import type { KexInit } from './types.js';

/** Longest name-list we keep (real ones are well under 1 KiB; PQ hybrids included). */
const MAX_LIST = 4096;
/** Longest algorithm name we log (reliability.md R7). */
const MAX_NAME = 256;

/**
 * Parses the KEXINIT payload at [off, off+len) that follows the message type byte: 16-byte
 * cookie, then ten name-lists. Returns null when a list runs past the end. `isClient` picks which
 * direction's lists make up the HASSH string.
 */
export function parseKexInit(buf: Uint8Array, off: number, len: number, isClient: boolean): KexInit | null {
  const end = Math.min(buf.length, off + len);
  let p = off + 16;
  const starts: number[] = [];
  const lens: number[] = [];
  for (let i = 0; i < 10; i++) {
    if (p + 4 > end) return null;
    const n = ((buf[p] << 24) >>> 0) + (buf[p + 1] << 16) + (buf[p + 2] << 8) + buf[p + 3];
    p += 4;
    if (n > end - p) return null;
    starts.push(p);
    lens.push(n);
    p += n;
  }
  const list = (i: number): string[] => splitList(buf, starts[i], lens[i]);
  // HASSH: kex;enc;mac;cmp of the sender's own direction, hashed over the raw bytes.
  const h = createHash('md5');
  const pick = isClient ? [0, 2, 4, 6] : [0, 3, 5, 7];
  for (let k = 0; k < 4; k++) {
    if (k > 0) h.update(SEMI);
    h.update(buf.subarray(starts[pick[k]], starts[pick[k]] + lens[pick[k]]));
  }
  return {
    kex: list(0),
    hostKey: list(1),
    encC2S: list(2),
    encS2C: list(3),
    macC2S: list(4),
    macS2C: list(5),
    cmpC2S: list(6),
    cmpS2C: list(7),
    hassh: h.digest('hex'),
  };
}
const SEMI = Buffer.from(';');

function splitList(buf: Uint8Array, s: number, n: number): string[] {
  if (n === 0) return [];
  // Escaping is one-to-one, so comparing escaped names compares the bytes.
  return safeString(buf, s, n, MAX_LIST).split(',');
}

export const NEGOTIATION_FAILED = 'Algorithm negotiation failed';

/** First client algorithm the server also offers (RFC 4253 §7.1). */
export function findAlg(client: readonly string[], server: readonly string[]): string {
  for (let i = 0; i < client.length; i++) {
    const a = client[i];
    if (a !== '' && server.includes(a)) return clip(a);
  }
  return NEGOTIATION_FAILED;
}

/** Both directions; when they differ, say so as Zeek does. */
export function findBidiAlg(cC2S: readonly string[], cS2C: readonly string[],
  sC2S: readonly string[], sS2C: readonly string[]): string {
  const up = findAlg(cC2S, sC2S);
  const down = findAlg(cS2C, sS2C);
  return up === down ? up : 'To server: ' + up + ', to client: ' + down;
}

function clip(s: string): string {
  return s.length > MAX_NAME ? s.slice(0, MAX_NAME) : s;
}

/** `SHA256:` + unpadded base64 of the host key blob, as OpenSSH prints fingerprints. */
export function hostKeyFingerprint(buf: Uint8Array, off: number, len: number): string {
  const b64 = createHash('sha256').update(buf.subarray(off, off + len)).digest('base64');
  let e = b64.length;
  while (e > 0 && b64.charCodeAt(e - 1) === 0x3d) e--;
  return 'SHA256:' + b64.slice(0, e);
}
