/**
 * Zeek-style connection uids: `C` + base62 digits of a 96-bit pseudo-random value. The generator
 * is seeded per run, so replaying the same capture with the same seed gives the same uids
 * (packet time is the only clock; tests are exact).
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export class UidGenerator {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(seed: number) {
    // xoshiro128** state from splitmix32 of the seed.
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next() | 1;
  }

  #next(): number {
    const r = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return r;
  }

  /** A new uid with the given prefix letter (`C` connections, `F` files). */
  next(prefix = 'C'): string {
    // 17 base62 digits from 96 random bits, six bits per digit reduced mod 62 (a slight bias
    // toward the first two digits is irrelevant for an identifier), made in one call.
    const a = this.#next();
    const b = this.#next();
    const c = this.#next();
    const d = DIGITS;
    for (let i = 0; i < 5; i++) {
      d[i] = CODES[((a >>> (i * 6)) & 63) % 62];
      d[i + 5] = CODES[((b >>> (i * 6)) & 63) % 62];
      d[i + 10] = CODES[((c >>> (i * 6)) & 63) % 62];
    }
    d[15] = CODES[((a >>> 30) | ((b >>> 30) << 2) | ((c >>> 30) << 4)) % 62];
    d[16] = CODES[(((a ^ b ^ c) >>> 13) & 63) % 62];
    return prefix + String.fromCharCode(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15], d[16]);
  }
}

const CODES = Uint8Array.from(ALPHABET, (ch) => ch.charCodeAt(0));
const DIGITS = new Uint8Array(17);

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
