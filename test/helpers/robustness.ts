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
