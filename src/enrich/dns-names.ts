/**
 * IP → name from the DNS answers each device received, so a flow to 142.250.x.x can say "this
 * camera asked for `time.example-cam.com`" instead of showing a bare address.
 *
 * Keyed per asking client first: a CDN address serves many names, and the name THIS device asked
 * for is the one that explains its flow; any client's answer is the fallback. The queried name
 * is what is kept (for `www.x.com → CNAME x.cdn.net → 1.2.3.4`, 1.2.3.4 is `www.x.com`: what the
 * device wanted, not the CDN's internal name). An address keeps up to MAX_NAMES names with the
 * packet time of their first and last answer, so a lookup for a flow that started at `ts` picks
 * the name answered most recently before that flow, not one answered later.
 *
 * mDNS and LLMNR answers are not used: they name local hosts, which the device inventory owns.
 * Bounded (rule 4): two LRU maps with caps and counters; entries expire by packet time
 * (answer time + TTL clamped to [minTtl, maxTtl]) and are swept incrementally.
 */
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';
import type { ConnRecord } from '../flow/conn-record.js';
import type { RecordSink } from '../logs/record-sink.js';
import { ipv6String } from '../util/addr.js';
import { parseIp } from './ip.js';
import { Lru } from './lru.js';

export interface DnsNamesOptions {
  /** (client, address) pairs remembered. Default 32768. */
  maxEntries?: number;
  /** Addresses remembered for the any-client fallback. Default 16384. */
  maxAddresses?: number;
  /** Seconds an answer is kept at least, whatever its TTL (devices cache longer than TTLs say). Default 3600. */
  minTtl?: number;
  /** Seconds an answer is kept at most. Default 86400. */
  maxTtl?: number;
  /** Counter sink, e.g. the pipeline's: receives `enrich.dns_names_evicted` etc. */
  counters?: (name: string, n?: number) => void;
}

/** Names kept per address (per client): enough for the few names a CDN address serves one device. */
export const MAX_NAMES = 8;
/** Oldest entries looked at per sweep (once per second of packet time). */
const SWEEP_BATCH = 64;
const QTYPE_A = 1;
const QTYPE_AAAA = 28;
const QTYPE_ANY = 255;

class NameSlot {
  readonly name: string;
  /** Packet time of the first and the latest answer giving this name. */
  readonly first: number;
  last: number;
  expires: number;
  constructor(name: string, ts: number, expires: number) {
    this.name = name;
    this.first = ts;
    this.last = ts;
    this.expires = expires;
  }
}

type Slots = NameSlot[];

/** Canonical text of an address: IPv6 re-rendered so DNS rdata text and conn text always match. */
const scratch = new Uint32Array(4);
function canonical(ip: string): string | null {
  const fam = parseIp(ip, scratch);
  if (fam === 0) return null;
  return fam === 4 ? ip : ipv6String(scratch);
}

export class DnsNames implements RecordSink {
  readonly #pairs: Lru<string, Slots>;
  readonly #addrs: Lru<string, Slots>;
  readonly #minTtl: number;
  readonly #maxTtl: number;
  readonly #count: (name: string, n?: number) => void;
  /** Latest packet time seen in a DNS record: "now" for lookups that give no time. */
  #now = 0;
  #nextSweep = 0;
  answers = 0;
  expired = 0;

  constructor(opts: DnsNamesOptions = {}) {
    this.#pairs = new Lru(opts.maxEntries ?? 32768);
    this.#addrs = new Lru(opts.maxAddresses ?? 16384);
    this.#minTtl = opts.minTtl ?? 3600;
    this.#maxTtl = Math.max(this.#minTtl, opts.maxTtl ?? 86400);
    this.#count = opts.counters ?? (() => {});
  }

  // -- RecordSink --

  wants(path: string): boolean {
    return path === 'dns';
  }

  record(path: string, ts: number, conn: ConnInfo | null, f: LogFields): void {
    if (path !== 'dns' || conn === null) return;
    if (conn.respP === 5353 || conn.origP === 5353 || conn.respP === 5355) return;
    const q = f.query;
    const answers = f.answers;
    const ttls = f.TTLs;
    if (typeof q !== 'string' || q === '' || !Array.isArray(answers) || answers.length === 0) return;
    if (f.rcode !== 0 || (f.qtype !== QTYPE_A && f.qtype !== QTYPE_AAAA && f.qtype !== QTYPE_ANY)) return;
    const name = normaliseName(q);
    if (name === null) return;
    // The answer arrived rtt after the query (the record's ts); flows it caused start after that.
    const at = ts + (typeof f.rtt === 'number' && f.rtt > 0 ? f.rtt : 0);
    if (at > this.#now) this.#now = at;
    const client = conn.origH;
    for (let i = 0; i < answers.length; i++) {
      const a = answers[i];
      if (typeof a !== 'string') continue;
      const ip = canonical(a);
      if (ip === null) continue; // a CNAME target or other rdata
      const ttl = Array.isArray(ttls) && typeof ttls[i] === 'number' ? (ttls[i] as number) : 0;
      const expires = at + Math.min(this.#maxTtl, Math.max(this.#minTtl, ttl));
      this.answers++;
      this.#remember(this.#pairs, client + ' ' + ip, name, at, expires, 'enrich.dns_names_evicted');
      this.#remember(this.#addrs, ip, name, at, expires, 'enrich.dns_addresses_evicted');
    }
    if (this.#now >= this.#nextSweep) this.#sweep();
  }

  conn(_r: ConnRecord): void {}

  // -- lookups --

  /**
   * The name `clientIp` resolved to `remoteIp` (else the name any client resolved it to), or null.
   * `ts`: packet time the flow started; answers that came later are not used, and among the
   * others the most recent wins. Without `ts`, the latest answer still valid now wins.
   */
  nameFor(clientIp: string, remoteIp: string, ts?: number): string | null {
    const ip = canonical(remoteIp);
    if (ip === null) return null;
    const at = ts ?? this.#now;
    const strict = ts !== undefined;
    if (clientIp !== '') {
      const own = this.#pairs.get(clientIp + ' ' + ip);
      const n = own === undefined ? null : pick(own, at, strict);
      if (n !== null) return n;
    }
    const any = this.#addrs.get(ip);
    return any === undefined ? null : pick(any, at, strict);
  }

  get size(): { pairs: number; addresses: number } {
    return { pairs: this.#pairs.size, addresses: this.#addrs.size };
  }

  /** Counter values under their dotted names. */
  stats(): Record<string, number> {
    return {
      'enrich.dns_answers': this.answers,
      'enrich.dns_names_evicted': this.#pairs.evicted,
      'enrich.dns_addresses_evicted': this.#addrs.evicted,
      'enrich.dns_names_expired': this.expired,
    };
  }

  #remember(lru: Lru<string, Slots>, key: string, name: string, at: number, expires: number, evictedCounter: string): void {
    const slots = lru.get(key);
    if (slots === undefined) {
      const before = lru.evicted;
      lru.set(key, [new NameSlot(name, at, expires)]);
      if (lru.evicted !== before) this.#count(evictedCounter, lru.evicted - before);
      return;
    }
    let oldest = 0;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      if (s.name === name) {
        if (at > s.last) s.last = at;
        if (expires > s.expires) s.expires = expires;
        return;
      }
      if (s.last < slots[oldest].last) oldest = i;
    }
    if (slots.length < MAX_NAMES) slots.push(new NameSlot(name, at, expires));
    else slots[oldest] = new NameSlot(name, at, expires);
  }

  /** Drops fully expired entries among the least recently used ones (bounded work per second). */
  #sweep(): void {
    this.#nextSweep = this.#now + 1;
    for (const lru of [this.#pairs, this.#addrs]) {
      const dead: string[] = [];
      let seen = 0;
      for (const [k, slots] of lru.entries()) {
        if (++seen > SWEEP_BATCH) break;
        let live = false;
        for (const s of slots) if (s.expires >= this.#now) live = true;
        if (!live) dead.push(k);
      }
      for (const k of dead) lru.delete(k);
      if (lru === this.#pairs && dead.length > 0) {
        this.expired += dead.length;
        this.#count('enrich.dns_names_expired', dead.length);
      }
    }
  }
}

/** Best name at time `at`: still valid, (strict) first answered no later than `at`, most recent. */
function pick(slots: Slots, at: number, strict: boolean): string | null {
  let best: NameSlot | null = null;
  let bestScore = -Infinity;
  for (const s of slots) {
    if (s.expires < at) continue;
    if (strict && s.first > at) continue;
    // Most recent answer at or before `at`: `last` when that is not after `at`, else at least `first`.
    const score = s.last <= at ? s.last : s.first;
    if (score > bestScore) {
      best = s;
      bestScore = score;
    }
  }
  return best === null ? null : best.name;
}

/** Lower case, no trailing dot; null for names no resolver would return an address for. */
function normaliseName(q: string): string | null {
  let end = q.length;
  while (end > 0 && q.charCodeAt(end - 1) === 46) end--;
  if (end === 0 || end > 253) return null;
  return (end === q.length ? q : q.slice(0, end)).toLowerCase();
}
