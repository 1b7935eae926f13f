/**
 * Mirai-style propagation (`infected.propagation`, critical): a LAN device trying many distinct
 * addresses on telnet or IoT exploit ports within `detect.propagation.windowSeconds`. Mirai's
 * scanner sends SYNs to random internet addresses on 23 (and 2323 one time in ten); its descendants
 * add SSH, web admin (80/8080), TR-069 (7547), ADB (5555) and the Huawei/Realtek exploit ports
 * (37215, 52869). Random addresses are mostly dark, so nearly every attempt is S0 or REJ.
 *
 * What counts (per source address, distinct destination addresses):
 * - telnet (23, 2323): any attempt the device opened, to the internet or the LAN (nobody's phone
 *   app telnets to dozens of addresses);
 * - 7547, 5555, 37215, 52869: any attempt to an internet address (LAN discovery apps sweep the
 *   local /24, Mirai never does: its scanner skips private ranges);
 * - 22, 80, 8080: only FAILED attempts (no payload) to internet addresses, and twice the threshold,
 *   because ordinary clients use these ports every day: a browser's successful connections never
 *   count, and a handful of dead servers does not reach it.
 *
 * The same flows are left out of portscan's horizontal count while this detector is on (one
 * report, at the right severity); see portscan.ts isPropagationProbe.
 */
import type { ConnRecord } from '../flow/conn-record.js';
import type { DetectConfig } from '../config/detect.js';
import { pushCapped, plural, span, type DetectContext, type Detector, type DetectorFactory } from './detector.js';
import { BoundedMap, CappedSet } from './state.js';
import { LATE_SLACK, capitalise, isPropagationProbe } from './portscan.js';

const DISTINCT_CAP = 4096;
const SWEEP_EVERY = 10;

interface Spread {
  /** Addresses tried on telnet and the strong exploit ports. */
  strong: CappedSet<string>;
  /** Addresses that failed on 22/80/8080. */
  weak: CappedSet<string>;
  /** Attempts per port (few distinct ports: a small map). */
  readonly ports: Map<number, number>;
  first: number;
  last: number;
  attempts: number;
  /** Attempts that got no answer or were refused (S0/REJ-like: no handshake). */
  failed: number;
  readonly uids: string[];
  readonly sample: string[];
  raisedAt: number;
  fresh: number;
  readonly device: string | null;
  readonly src: string;
}

class Propagation implements Detector {
  readonly name = 'propagation';
  readonly paths: readonly string[] = [];
  readonly wantsConn = true;
  readonly #ctx: DetectContext;
  readonly #hosts: number;
  readonly #window: number;
  readonly #bySrc: BoundedMap<string, Spread>;
  #nextSweep = 0;

  constructor(config: DetectConfig, ctx: DetectContext) {
    this.#ctx = ctx;
    this.#hosts = config.propagation.hosts;
    this.#window = config.propagation.windowSeconds;
    this.#bySrc = new BoundedMap(config.maxTracked, () => ctx.count('detect.propagation.dropped'));
  }

  conn(r: ConnRecord): void {
    // Common case first: one number compare (the port) rejects nearly every flow.
    const port = r.respP;
    if (port !== 23 && port !== 2323 && port !== 22 && port !== 80 && port !== 8080 && port !== 7547 &&
      port !== 5555 && port !== 37215 && port !== 52869) return;
    if (!isPropagationProbe(r)) return;
    const empty = r.origBytes === 0 && r.respBytes === 0;
    const weakPort = port === 22 || port === 80 || port === 8080;
    if (weakPort && !empty) return;
    let s = this.#bySrc.get(r.origH);
    if (!s) {
      const device = this.#ctx.deviceOf(r.origH, r.origL2);
      // A LAN actor only: an IPv6 source must at least be a known device's frame.
      if (device === null && !r.localOrig) return;
      s = {
        strong: new CappedSet(DISTINCT_CAP), weak: new CappedSet(DISTINCT_CAP), ports: new Map(), first: r.ts, last: r.ts,
        attempts: 0, failed: 0, uids: [], sample: [], raisedAt: -1, fresh: 0, device, src: r.origH,
      };
      this.#bySrc.set(r.origH, s);
    }
    const ts = r.ts;
    if (s.raisedAt < 0 && ts - s.first > this.#window) this.#restart(s, ts);
    if (ts < s.first) s.first = ts;
    if (ts > s.last) s.last = ts;
    s.attempts++;
    s.fresh++;
    if (empty && r.history.indexOf('A') < 0) s.failed++;
    if (s.ports.size < 16 || s.ports.has(port)) s.ports.set(port, (s.ports.get(port) ?? 0) + 1);
    pushCapped(s.uids, r.uid);
    if ((weakPort ? s.weak : s.strong).add(r.respH)) pushCapped(s.sample, r.respH);
    if (!this.#over(s)) return;
    if (s.raisedAt < 0 || ts - s.raisedAt >= this.#window) this.#raise(s, ts);
  }

  tick(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_EVERY;
    const horizon = now - this.#window - LATE_SLACK;
    this.#bySrc.sweep((s) => {
      if (s.last >= horizon) return false;
      if (s.raisedAt >= 0 && s.fresh > 0) this.#raise(s, s.last);
      return true;
    });
  }

  finish(): void {
    for (const s of this.#bySrc.values()) if (s.raisedAt >= 0 && s.fresh > 0) this.#raise(s, s.last);
    this.#bySrc.clear();
  }

  #over(s: Spread): boolean {
    const n = this.#hosts;
    return s.strong.size >= n || s.weak.size >= 2 * n || s.strong.size + s.weak.size >= 2 * n;
  }

  #restart(s: Spread, ts: number): void {
    s.strong = new CappedSet(DISTINCT_CAP);
    s.weak = new CappedSet(DISTINCT_CAP);
    s.ports.clear();
    s.first = ts;
    s.last = ts;
    s.attempts = 0;
    s.failed = 0;
    s.uids.length = 0;
    s.sample.length = 0;
    s.fresh = 0;
  }

  #raise(s: Spread, ts: number): void {
    const ctx = this.#ctx;
    s.raisedAt = ts;
    s.fresh = 0;
    const hosts = s.strong.size + s.weak.size;
    const ports = [...s.ports.entries()].sort((a, b) => b[1] - a[1]).map(([p]) => p);
    const telnet = ports.every((p) => p === 23 || p === 2323);
    const what = telnet
      ? `telnet (port${ports.length > 1 ? 's' : ''} ${ports.join(', ')})`
      : `ports used to break into IoT devices (${ports.slice(0, 6).join(', ')})`;
    const who = capitalise(ctx.describe(s.device, s.src));
    const summary = `${who} tried to connect to ${plural(hosts, 'other address', 'other addresses')} on ${what} in ${span(Math.max(1, s.last - s.first))}: ` +
      'it is probably infected with a Mirai-type botnet that is looking for more devices to break into. ' +
      'Unplug it, reset it to factory settings and change its password before you connect it again.';
    ctx.raise({
      ts,
      code: 'infected.propagation',
      severity: 'critical',
      device: s.device,
      summary,
      evidence: {
        src: s.src,
        hosts,
        ports: ports.map(String),
        attempts: s.attempts,
        failed: s.failed,
        count: s.attempts,
        sample_hosts: s.sample,
        uids: s.uids,
        first: s.first,
        last: s.last,
      },
      key: `infected.propagation|${s.device ?? s.src}`,
    });
  }
}

export const propagation: DetectorFactory = {
  name: 'propagation',
  about: 'Mirai-style spreading: a LAN device trying many addresses on telnet or IoT exploit ports.',
  create: (config, ctx) => new Propagation(config, ctx),
};
