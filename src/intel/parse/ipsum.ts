/**
 * IPsum (stamparm/ipsum): `IP<TAB>count`, the count being how many public blacklists list the
 * address. A single listing is weak evidence (IPsum's own README suggests its level files, where
 * level N = on at least N lists), so entries below `ParseOptions.ipsumMinCount` (default 3:
 * IPsum's `levels/3.txt`) are skipped as `below-min`; the kept ones get a severity that grows with
 * the count (3-4 low, 5-7 medium, 8+ high), never below the feed's default, and a description
 * saying how many lists carry them.
 */
import type { Severity } from '../../alert/alert.js';
import { maxSeverity, type Emitter } from './emit.js';
import { forEachLine, type FeedInput } from './lines.js';
import { NetValue, parseNet } from '../normalize.js';

const probe = new NetValue();

export const IPSUM_DEFAULT_MIN_COUNT = 3;

export function ipsumSeverity(count: number): Severity {
  return count >= 8 ? 'high' : count >= 5 ? 'medium' : count >= 3 ? 'low' : 'info';
}

export function parseIpsum(input: FeedInput, e: Emitter): void {
  const min = e.options.ipsumMinCount ?? IPSUM_DEFAULT_MIN_COUNT;
  const descs: string[] = [];
  forEachLine(input, (raw) => {
    const line = raw.trim();
    if (line.length === 0 || line.charCodeAt(0) === 35) return;
    const m = /^(\S+)\s+([0-9]{1,4})$/.exec(line);
    if (m === null) {
      // A bare address (a level file) counts as listed by `min` lists.
      if (line.search(/\s/) < 0) {
        e.resetMeta();
        if (e.net(line)) return;
      }
      e.bad(raw);
      return;
    }
    const count = +m[2];
    if (count < min) {
      if (parseNet(m[1], probe)) e.skip('below-min');
      else e.bad(raw);
      return;
    }
    e.meta.severity = maxSeverity(e.defaults.severity, ipsumSeverity(count));
    e.meta.description = descs[count] ??= 'listed by ' + count + ' blacklists';
    if (!e.net(m[1])) e.bad(raw);
  });
  e.resetMeta();
}
