/**
 * SHA-1 of short messages (at most 119 bytes), base64-encoded, without allocation.
 *
 * Community ID hashes ≤ 40 bytes for every flow. node:crypto costs 0.7-2 µs per call in native
 * transitions and objects; this stays in JIT-compiled JS and costs a few hundred ns, which is the
 * difference between affordable and not at hundreds of thousands of flows per second. It is
 * checked against node:crypto in the tests (test/unit/sha1-small.test.ts).
 */
const W = new Int32Array(80);
const BLOCK = new Uint8Array(128);
const DIGEST = new Uint8Array(20);
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function sha1Base64(msg: Uint8Array, len: number): string {
  if (len > 119) throw new RangeError('sha1Base64 handles messages up to 119 bytes');
  BLOCK.fill(0);
  for (let i = 0; i < len; i++) BLOCK[i] = msg[i];
  BLOCK[len] = 0x80;
  const blocks = len + 9 <= 64 ? 1 : 2;
  const end = blocks * 64;
  const bits = len * 8;
  BLOCK[end - 4] = (bits >>> 24) & 255;
  BLOCK[end - 3] = (bits >>> 16) & 255;
  BLOCK[end - 2] = (bits >>> 8) & 255;
  BLOCK[end - 1] = bits & 255;
  let h0 = 0x67452301, h1 = 0xefcdab89 | 0, h2 = 0x98badcfe | 0, h3 = 0x10325476, h4 = 0xc3d2e1f0 | 0;
  for (let b = 0; b < blocks; b++) {
    const o = b * 64;
    for (let i = 0; i < 16; i++) {
      const p = o + i * 4;
      W[i] = (BLOCK[p] << 24) | (BLOCK[p + 1] << 16) | (BLOCK[p + 2] << 8) | BLOCK[p + 3];
    }
    for (let i = 16; i < 80; i++) {
      const x = W[i - 3] ^ W[i - 8] ^ W[i - 14] ^ W[i - 16];
      W[i] = (x << 1) | (x >>> 31);
    }
    let a = h0, bb = h1, c = h2, d = h3, e = h4;
    for (let i = 0; i < 80; i++) {
      let f: number, k: number;
      if (i < 20) { f = (bb & c) | (~bb & d); k = 0x5a827999; }
      else if (i < 40) { f = bb ^ c ^ d; k = 0x6ed9eba1; }
      else if (i < 60) { f = (bb & c) | (bb & d) | (c & d); k = 0x8f1bbcdc | 0; }
      else { f = bb ^ c ^ d; k = 0xca62c1d6 | 0; }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + W[i]) | 0;
      e = d;
      d = c;
      c = (bb << 30) | (bb >>> 2);
      bb = a;
      a = t;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + bb) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  const hs = [h0, h1, h2, h3, h4];
  for (let i = 0; i < 5; i++) {
    DIGEST[i * 4] = hs[i] >>> 24;
    DIGEST[i * 4 + 1] = (hs[i] >>> 16) & 255;
    DIGEST[i * 4 + 2] = (hs[i] >>> 8) & 255;
    DIGEST[i * 4 + 3] = hs[i] & 255;
  }
  // 20 bytes → 28 base64 characters (6 full groups + 2 bytes with one '=').
  let s = '';
  for (let i = 0; i < 18; i += 3) {
    const n = (DIGEST[i] << 16) | (DIGEST[i + 1] << 8) | DIGEST[i + 2];
    s += B64[n >>> 18] + B64[(n >>> 12) & 63] + B64[(n >>> 6) & 63] + B64[n & 63];
  }
  const n = (DIGEST[18] << 16) | (DIGEST[19] << 8);
  return s + B64[n >>> 18] + B64[(n >>> 12) & 63] + B64[(n >>> 6) & 63] + '=';
}
