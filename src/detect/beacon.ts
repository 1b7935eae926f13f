/**
 * Beaconing: a device that calls the same outside destination at a steady rhythm with requests of
 * a steady size, the way malware checks in with its control server. The model is RITA's
 * (docs/peers.md §1.7): per device → destination pair, the connection start times and sizes; a
 * score (0-1) of two parts, timing weighing double (see beaconScore):
 *   - timing: regularity of the intervals (Bowley skew of their quartiles, and their median
 *     absolute deviation from the median, MADM, relative to the median interval) and coverage
 *     (connections over the pair's whole span compared with one per median interval: a steady
 *     rhythm, not one regular burst);
 *   - size: regularity of the bytes the device sends (Bowley skew, MADM) and smallness (a
 *     check-in is small; bulk transfers are not beacons).
 * Modifiers: a destination that several LAN devices talk to is a common service (vendor cloud,
 * time, update servers) and loses 0.1 per other device (at most 0.3); a threat-intel hit on the
 * address adds 0.1 and makes the alert high.
 *
 * Cost: `conn()` rejects inbound, local and infrastructure flows (DNS, NTP, DHCP, mDNS, SSDP,
 * multicast) with a few compares; an outbound flow costs one key string and a map lookup, and
 * writes its start time and size into the pair's ring (fixed size, no allocation once grown).
 * Pairs are scored in `tick` only when they got new connections, at most once a minute each.
 */
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';
import type { ConnRecord } from '../flow/conn-record.js';
import type { DetectConfig } from '../config/detect.js';
import type { Severity } from '../alert/alert.js';
import { BoundedMap, CappedSet } from './state.js';
import { plural, pushCapped, span, type DetectContext, type Detector, type DetectorFactory } from './detector.js';

/** Connection starts (and sizes) kept per pair: enough for a stable median, bounded memory. */
export const RING = 64;
const RING_START = 8;
/** Connections starting within this many seconds of the previous one are one check-in. */
const SAME_EVENT = 1;
/** A pair is rescored at most this often (seconds of packet time). */
const RESCORE_EVERY = 60;
/** A beaconing pair is raised again at most this often while it continues. */
const REPEAT_EVERY = 3600;
/** Pairs idle this long are forgotten (check-ins every few hours still fit). */
const IDLE = 86_400;
const SWEEP_EVERY = 300;
/** Size MADM tolerated: 32 bytes (RITA) or a tenth of the median size, whichever is larger. */
const SIZE_MADM_FLOOR = 32;
/** Prevalence: score lost per other LAN device talking to the destination, and at most. */
const PREVALENCE_STEP = 0.1;
const PREVALENCE_MAX = 0.3;
const INTEL_BONUS = 0.1;
/** Check-ins after which a pair counts towards its destination's prevalence (and is scored). */
const PREVALENT_AFTER = 4;
/** Infrastructure ports whose regular rhythm is by design: DNS, DHCP, NTP, DoT, SSDP, mDNS, LLMNR. */
const SKIP_PORTS = new Set([53, 67, 68, 123, 853, 1900, 5353, 5355]);

/** One device → destination pair. */
class Pair {
  readonly device: string | null;
  readonly client: string;
  /** Destination as reported: its DNS name when the device looked one up, else the address. */
  readonly dest: string;
  ip: string;
  port: number;
  proto: string;
  first: number;
  last: number;
  /** Connections (flows), and check-ins (connections merged when they start together). */
  conns = 0;
  events = 0;
  /**
   * Check-in times and sizes, interleaved (t0, s0, t1, s1 …), allocated at the second check-in:
   * most pairs never get one (one visit to a web site), so they cost no typed array.
   */
  ring: Float64Array | null = null;
  /** Check-ins held in the ring (≤ RING); the next write goes to `events % RING` once full. */
  held = 0;
  /** The first check-in, until the ring exists. */
  firstBytes = 0;
  readonly uids: string[] = [];
  dirty = false;
  /** False once the pair left the map (swept or dropped at the cap). */
  alive = true;
  /** Counted in the destination's prevalence (done once the pair repeats). */
  counted = false;
  lastScored = -Infinity;
  lastRaised = -Infinity;
  /** Connections when last raised (0: never). */
  raisedConns = 0;

  constructor(device: string | null, client: string, dest: string, r: ConnRecord) {
    this.device = device;
    this.client = client;
    this.dest = dest;
    this.ip = r.respH;
    this.port = r.respP;
    this.proto = r.proto;
    this.first = r.ts;
    this.last = r.ts;
  }

  add(ts: number, bytes: number, uid: string): void {
    this.conns++;
    if (uid !== '' && this.uids.length < 10) pushCapped(this.uids, uid);
    if (this.events > 0 && Math.abs(ts - this.last) < SAME_EVENT) {
      // Parallel connections of one check-in: one event, the bytes add up.
      if (this.ring === null) this.firstBytes += bytes;
      else this.ring[((this.events - 1) % RING) * 2 + 1] += bytes;
      if (ts > this.last) this.last = ts;
      return;
    }
    if (this.events === 0) {
      this.firstBytes = bytes;
    } else {
      if (this.ring === null) {
        this.ring = new Float64Array(RING_START * 2);
        this.ring[0] = this.first;
        this.ring[1] = this.firstBytes;
      } else if (this.held * 2 === this.ring.length && this.held < RING) {
        const grown = new Float64Array(Math.min(RING, this.held * 2) * 2);
        grown.set(this.ring);
        this.ring = grown;
      }
      const i = (this.events % RING) * 2;
      this.ring[i] = ts;
      this.ring[i + 1] = bytes;
    }
    this.events++;
    if (this.held < RING) this.held++;
    if (ts < this.first) this.first = ts;
    if (ts > this.last) this.last = ts;
  }
}

// -- statistics (RITA's sub-scores) ---------------------------------------------------------------

const SCRATCH_A = new Float64Array(RING);
const SCRATCH_B = new Float64Array(RING);

/** Quantile `p` (0-1) of the first `n` values of an ascending array, linearly interpolated. */
function quantile(a: Float64Array, n: number, p: number): number {
  const x = p * (n - 1);
  const lo = Math.floor(x);
  const hi = Math.min(n - 1, lo + 1);
  return (a[lo] ?? 0) + ((a[hi] ?? 0) - (a[lo] ?? 0)) * (x - lo);
}

/**
 * Regularity of the first `n` values of `a` (sorted in place): 1 - |Bowley skew|, the MADM, and
 * the median. Bowley skew is 0 when the quartiles are symmetric (or equal: a perfect rhythm).
 */
function regularity(a: Float64Array, n: number): { skewScore: number; madm: number; median: number } {
  const v = a.subarray(0, n).sort();
  const q1 = quantile(v, n, 0.25);
  const q2 = quantile(v, n, 0.5);
  const q3 = quantile(v, n, 0.75);
  const den = q3 - q1;
  const skew = den <= 0 || q2 === q1 || q2 === q3 ? 0 : (q1 + q3 - 2 * q2) / den;
  for (let i = 0; i < n; i++) SCRATCH_B[i] = Math.abs((v[i] ?? 0) - q2);
  const d = SCRATCH_B.subarray(0, n).sort();
  return { skewScore: 1 - Math.min(1, Math.abs(skew)), madm: quantile(d, n, 0.5), median: q2 };
}

export interface BeaconScore {
  readonly score: number;
  readonly timing: number;
  readonly size: number;
  /** Median interval between check-ins, seconds. */
  readonly interval: number;
  /** Median bytes sent per check-in. */
  readonly bytes: number;
}

/**
 * RITA-style score of a pair before modifiers. `ring` holds `held` check-ins as interleaved
 * (time, bytes) in ring order; `events`, `first`, `last` describe the pair's whole life (coverage).
 */
export function beaconScore(ring: Float64Array, held: number, events: number, first: number, last: number): BeaconScore {
  const n = Math.min(held, RING, ring.length >> 1);
  if (n < 4) return { score: 0, timing: 0, size: 0, interval: 0, bytes: 0 };
  // Intervals between consecutive check-ins (the ring is in time order except at its seam).
  for (let i = 0; i < n; i++) SCRATCH_A[i] = ring[i * 2] ?? 0;
  const t = SCRATCH_A.subarray(0, n).sort();
  for (let i = 1; i < n; i++) SCRATCH_A[i - 1] = (t[i] ?? 0) - (t[i - 1] ?? 0);
  const ts = regularity(SCRATCH_A, n - 1);
  const tsMadm = ts.median > 0 ? Math.max(0, 1 - ts.madm / ts.median) : 0;
  const life = last - first;
  const coverage = life > 0 ? Math.min(1, ((events - 1) * ts.median) / life) : 0;
  const timing = (ts.skewScore + tsMadm + coverage) / 3;

  for (let i = 0; i < n; i++) SCRATCH_A[i] = ring[i * 2 + 1] ?? 0;
  const ds = regularity(SCRATCH_A, n);
  const dsMadm = Math.max(0, 1 - ds.madm / Math.max(SIZE_MADM_FLOOR, ds.median / 10));
  const smallness = Math.max(0, 1 - ds.median / 65_535);
  const size = (ds.skewScore + dsMadm + smallness) / 3;
  // Timing weighs double: it is what tells a rhythm from chance. Random (Poisson) gaps with
  // fixed-size requests score 0.75 in the median and 0.86 at the 95th percentile with RITA's
  // equal weights, above the default bar; 0.70 and 0.82 so.
  return { score: (2 * timing + size) / 3, timing, size, interval: ts.median, bytes: ds.median };
}

const SEEN_ONCE = 1;
const PROMOTED = 2;

/** FNV-1a 32-bit over two strings (a separator between them), without building a key. */
function pairHash(a: string, b: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < a.length; i++) h = Math.imul(h ^ a.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 124, 0x01000193);
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Multicast or broadcast destination, told from the text without allocating. */
function isGroup(ip: string): boolean {
  const c0 = ip.charCodeAt(0);
  if (c0 === 102 /* f */) return ip.charCodeAt(1) === 102;
  if (c0 !== 50 /* 2 */ || ip.charCodeAt(3) !== 46 /* . */) return false;
  const c1 = ip.charCodeAt(1);
  const c2 = ip.charCodeAt(2);
  // 224-239 and 255.x
  return (c1 === 50 && c2 >= 52 && c2 <= 57) || (c1 === 51 && c2 >= 48 && c2 <= 57) || (c1 === 53 && c2 === 53);
}

export class BeaconDetector implements Detector {
  readonly name = 'beacon';
  readonly paths = ['dns'] as const;
  readonly wantsConn = true;
  readonly #ctx: DetectContext;
  readonly #minConnections: number;
  readonly #minSpan: number;
  readonly #threshold: number;
  readonly #pairs: BoundedMap<string, Pair>;
  /** Address → the name a device looked up for it (A/AAAA answers), so pairs follow names. */
  readonly #names: BoundedMap<string, string>;
  /** Destination → distinct LAN devices with a pair to it (prevalence). */
  readonly #prevalence: BoundedMap<string, CappedSet<string>>;
  #dirty: Pair[] = [];
  #nextSweep = 0;
  /**
   * First sightings, by a hash of (device address, destination address): most outbound flows
   * are one-off visits, and a pair (key string, map entry, object) for each would cost more than
   * all the rest of the detector. A slot holds a flow seen once (its time and bytes) or marks a
   * pair that exists (promoted, with the time it was last used). A one-off overwrites a one-off;
   * a promoted slot stays until idle for a day. Only the second sighting builds the pair.
   */
  readonly #slotHash: Uint32Array;
  readonly #slotTs: Float64Array;
  readonly #slotBytes: Float64Array;
  readonly #slotState: Uint8Array;
  readonly #slotMask: number;
  /** The pair of a promoted slot (validated on use: same addresses, still in the map). */
  readonly #slotPair: (Pair | null)[];
  readonly #maxPairs: number;

  constructor(config: DetectConfig, ctx: DetectContext) {
    this.#ctx = ctx;
    this.#minConnections = config.beacon.minConnections;
    this.#minSpan = config.beacon.minSpanSeconds;
    this.#threshold = config.beacon.score;
    const drop = () => ctx.count('detect.beacon.dropped');
    this.#pairs = new BoundedMap(config.maxTracked, drop);
    this.#names = new BoundedMap(config.maxTracked, drop);
    this.#prevalence = new BoundedMap(config.maxTracked, drop);
    let slots = 1024;
    while (slots < config.maxTracked * 4 && slots < 1 << 20) slots *= 2;
    this.#slotHash = new Uint32Array(slots);
    this.#slotTs = new Float64Array(slots);
    this.#slotBytes = new Float64Array(slots);
    this.#slotState = new Uint8Array(slots);
    this.#slotMask = slots - 1;
    this.#slotPair = new Array<Pair | null>(slots).fill(null);
    this.#maxPairs = Math.max(1, config.maxTracked);
  }

  /** DNS answers: remember which name each address was looked up as. */
  record(_path: string, _ts: number, conn: ConnInfo | null, f: LogFields): void {
    if (conn === null || conn.respP !== 53) return;
    const answers = f.answers;
    const query = f.query;
    if (!Array.isArray(answers) || typeof query !== 'string' || (f.qtype !== 1 && f.qtype !== 28)) return;
    const name = query.toLowerCase();
    for (const a of answers) {
      // Addresses only (CNAME targets are names): IPv4 starts with a digit, IPv6 has a colon.
      if (typeof a !== 'string' || a.length > 45) continue;
      const c = a.charCodeAt(0);
      if ((c >= 48 && c <= 57) || a.indexOf(':') >= 0) this.#names.set(a, name);
    }
  }

  conn(r: ConnRecord): void {
    // Outbound from the LAN only; infrastructure services and group addresses are not beacons.
    if (!r.localOrig || r.localResp) return;
    if (SKIP_PORTS.has(r.respP) || isGroup(r.respH)) return;
    if (r.proto !== 'tcp' && r.proto !== 'udp') return;
    const h = pairHash(r.origH, r.respH);
    const slot = h & this.#slotMask;
    const state = this.#slotState[slot]!;
    const mine = this.#slotHash[slot] === h;
    if (!mine && (state !== PROMOTED || r.ts - this.#slotTs[slot]! > IDLE)) {
      // First sighting (or its slot was taken by a one-off): remember it, nothing more.
      this.#slotHash[slot] = h;
      this.#slotState[slot] = SEEN_ONCE;
      this.#slotTs[slot] = r.ts;
      this.#slotBytes[slot] = r.origIpBytes;
      return;
    }
    // Seen before (or the slot belongs to another pair: then the map decides).
    let firstTs = -1;
    let firstBytes = 0;
    let p: Pair | null | undefined = null;
    if (mine) {
      if (state === SEEN_ONCE) {
        firstTs = this.#slotTs[slot]!;
        firstBytes = this.#slotBytes[slot]!;
        this.#slotState[slot] = PROMOTED;
      } else {
        // The slot remembers its pair: no key string, no map lookup for a known pair's flows.
        p = this.#slotPair[slot];
        if (p && (!p.alive || p.client !== r.origH || p.ip !== r.respH)) p = null;
      }
      this.#slotTs[slot] = r.ts;
    }
    if (!p) {
      const dest = this.#names.get(r.respH) ?? r.respH;
      // Keyed by the device's address; which device that is, is asked once, when the pair opens.
      const key = `${r.origH}|${dest}`;
      p = this.#pairs.get(key);
      if (p === undefined) {
        p = new Pair(this.#ctx.deviceOf(r.origH, r.origL2), r.origH, dest, r);
        if (this.#pairs.size >= this.#maxPairs) {
          // The map drops its oldest pair to make room: the slots must not keep feeding it.
          const oldest = this.#pairs.values().next().value;
          if (oldest) oldest.alive = false;
        }
        this.#pairs.set(key, p);
      }
      if (mine) this.#slotPair[slot] = p;
    }
    p.ip = r.respH;
    p.port = r.respP;
    p.proto = r.proto;
    if (firstTs >= 0) p.add(firstTs, firstBytes, '');
    p.add(r.ts, r.origIpBytes, r.uid);
    if (p.events < PREVALENT_AFTER) return;
    if (!p.counted) {
      // Prevalence counts devices that call the destination repeatedly, not one-off visits.
      p.counted = true;
      let set = this.#prevalence.get(p.dest);
      if (set === undefined) this.#prevalence.set(p.dest, (set = new CappedSet<string>(64)));
      set.add(p.device ?? p.client);
    }
    if (!p.dirty) {
      p.dirty = true;
      this.#dirty.push(p);
    }
  }

  tick(now: number): void {
    if (this.#dirty.length > 0) this.#scoreDirty(now, false);
    if (now >= this.#nextSweep) {
      this.#nextSweep = now + SWEEP_EVERY;
      this.#pairs.sweep((p) => {
        if (p.last >= now - IDLE) return false;
        p.alive = false;
        return true;
      });
    }
  }

  finish(now: number): void {
    this.#scoreDirty(now, true);
    // A beacon raised within the last hour that went on since: one more raise of the same key,
    // so the open alert carries the whole episode's numbers.
    for (const p of this.#pairs.values()) {
      if (p.raisedConns > 0 && p.conns > p.raisedConns) {
        p.lastRaised = -Infinity;
        this.#score(p, now);
      }
    }
  }

  #scoreDirty(now: number, all: boolean): void {
    const later: Pair[] = [];
    for (const p of this.#dirty) {
      if (!all && now - p.lastScored < RESCORE_EVERY) {
        later.push(p);
        continue;
      }
      p.dirty = false;
      this.#score(p, now);
    }
    this.#dirty = later;
  }

  #score(p: Pair, now: number): void {
    if (p.conns < this.#minConnections || p.last - p.first < this.#minSpan) return;
    if (now - p.lastRaised < REPEAT_EVERY) return;
    p.lastScored = now;
    if (p.ring === null) return;
    const s = beaconScore(p.ring, p.held, p.events, p.first, p.last);
    if (s.score + INTEL_BONUS < this.#threshold) return; // cannot reach it even with an intel hit
    const others = Math.max(0, (this.#prevalence.get(p.dest)?.size ?? 1) - 1);
    const penalty = Math.min(PREVALENCE_MAX, others * PREVALENCE_STEP);
    const hits = this.#ctx.intel()?.matchIp(p.ip) ?? [];
    const hit = hits.length > 0 ? hits[0]! : null;
    const score = Math.min(1, s.score - penalty + (hit ? INTEL_BONUS : 0));
    this.#ctx.count('detect.beacon.scored');
    if (score < this.#threshold) return;
    p.lastRaised = now;
    p.raisedConns = p.conns;
    this.#raise(p, s, score, others, hit ? `${hit.feed}${hit.description ? `: ${hit.description}` : ''}` : null);
  }

  #raise(p: Pair, s: BeaconScore, score: number, others: number, intel: string | null): void {
    const ctx = this.#ctx;
    const who = ctx.describe(p.device, p.client);
    const where = p.dest === p.ip ? p.ip : `${p.dest} (${p.ip})`;
    // Check-ins that began while the device was still learning its normal are most likely its
    // maker's cloud (IoT devices poll home like this from day one): reported, but low.
    const sinceNew = intel === null && p.device !== null && ctx.learning(p.device, p.first);
    const severity: Severity = intel ? 'high' : sinceNew ? 'low' : 'medium';
    const what = intel
      ? `threat intelligence lists ${p.ip} (${intel}), so it is probably infected and calling its control server. Unplug it and reset it to factory settings.`
      : sinceNew
        ? `it has done so since Vigil first saw it, which is how many devices check in with their maker's cloud; if ${p.dest} is not the maker's service, unplug the device and reset it to factory settings.`
        : `malware calls its control server like this, though some devices check in with their maker's cloud the same way. If ${p.dest} is not the maker's service, unplug the device and reset it to factory settings.`;
    ctx.raise({
      ts: p.last,
      code: 'beacon',
      severity,
      device: p.device,
      summary: `${cap(who)} contacted ${where} ${plural(p.conns, 'time')} in ${span(p.last - p.first)}, about every ${span(s.interval).replace(/^1 /, '')} with requests of the same size: ${what}`,
      key: `beacon|${p.device ?? p.client}|${p.dest}`,
      evidence: {
        uids: [...p.uids],
        count: p.conns,
        checkins: p.events,
        first: p.first,
        last: p.last,
        destination: p.dest,
        ip: p.ip,
        port: p.port,
        proto: p.proto,
        interval: Math.round(s.interval * 10) / 10,
        bytes: Math.round(s.bytes),
        score: Math.round(score * 1000) / 1000,
        timing: Math.round(s.timing * 1000) / 1000,
        size: Math.round(s.size * 1000) / 1000,
        otherDevices: others,
        sinceLearning: sinceNew,
        ...(intel ? { intel } : {}),
      },
    });
    ctx.count('detect.beacon.raised');
  }
}

function cap(s: string): string {
  return s.length > 0 ? s[0]!.toUpperCase() + s.slice(1) : s;
}

export const beacon: DetectorFactory = {
  name: 'beacon',
  about: 'Beaconing: a device calling one outside destination at a steady rhythm with same-size requests (RITA-style score).',
  create: (config, ctx) => new BeaconDetector(config, ctx),
};
