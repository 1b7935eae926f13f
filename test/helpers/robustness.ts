/**
 * Robustness loops for stream analyzers: the messages cut at every length (each direction), and
 * every single-bit flip delivered both ways around a gap. Callers assert nothing threw by getting
 * to the end; they add their own protocol-specific junk cases.
 */
import type { AppAnalyzer } from '../../src/decode/app/analyzer.js';

export function truncateAndFlip(msgs: Buffer, make: () => AppAnalyzer, gapLen: number): void {
  for (let cut = 0; cut <= msgs.length; cut++) {
    for (const isOrig of [true, false]) {
      const a = make();
      a.deliver(isOrig, msgs, 0, cut, 1);
      a.finish(2);
    }
  }
  for (let i = 0; i < msgs.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const m = Buffer.from(msgs);
      m[i] ^= 1 << bit;
      const a = make();
      a.deliver(true, m, 0, m.length, 1);
      a.gap(false, gapLen);
      a.deliver(false, m, 0, m.length, 1);
      a.finish(2);
    }
  }
}

/**
 * For datagram analyzers: the message cut at every length, then 2,000 copies with one to four
 * seeded random bit flips; `feed` delivers one datagram to a fresh analyzer and finishes it.
 */
export function truncateAndFlipDatagram(full: Buffer, feed: (msg: Buffer) => void, seed: number): void {
  for (let n = 0; n <= full.length; n++) feed(full.subarray(0, n));
  let s = seed;
  const rnd = (): number => (s = (s * 1103515245 + 12345) & 0x7fffffff);
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.from(full);
    for (let k = 0; k < 1 + (i % 4); k++) b[rnd() % b.length] ^= 1 << (rnd() % 8);
    feed(b);
  }
}
