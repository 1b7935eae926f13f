/**
 * What Vigil says about the other end of a flow: country, AS, and the name the device resolved
 * for it (with its registered domain). Called once per finished flow that crosses the edge.
 *
 * Country and AS depend only on the address and a device talks to the same few addresses again
 * and again, so they are cached per address (bounded LRU). Names are not cached here: they depend
 * on the device and on time, and DnsNames answers them from its own maps.
 */
import { type AsnDb, openAsnOrNull } from './asn.js';
import type { DnsNames } from './dns-names.js';
import { registeredDomain } from './domain.js';
import { type Geo, openGeoOrNull } from './geo.js';
import { isRoutable, parseIp, unmapV4 } from './ip.js';
import { Lru } from './lru.js';

export interface RemoteInfo {
  /** ISO 3166 alpha-2, null when private, unknown, or without country data. */
  country: string | null;
  asn: number | null;
  asOrg: string | null;
  /** Name the device resolved for the address (DnsNames), else null. */
  name: string | null;
  /** Registered domain of `name` (see domain.ts for private suffixes and local names). */
  domain: string | null;
}

export interface EnricherOptions {
  /** Country MMDB; '' or undefined: the bundled data. */
  geoPath?: string;
  /** ASN .mmdb or CSV directory; '' or undefined: the bundled data. */
  asnPath?: string;
  /** Source of names; without it `name` and `domain` are always null. */
  dnsNames?: DnsNames;
  /** One sentence per data problem (missing/corrupt file); the enricher goes on without that data. */
  onProblem?: (msg: string) => void;
  /** Addresses whose country/AS are cached. Default 8192. */
  cacheSize?: number;
  /** Tests and callers that already hold open data: used instead of opening paths (null = none). */
  geo?: Geo | null;
  asn?: AsnDb | null;
}

/** Country and AS of one address, as cached. */
interface Place {
  readonly country: string | null;
  readonly asn: number | null;
  readonly asOrg: string | null;
}

const NOWHERE: Place = { country: null, asn: null, asOrg: null };

function warn(msg: string): void {
  process.stderr.write(`vigil: ${msg}\n`);
}

export class Enricher {
  readonly geo: Geo | null;
  readonly asn: AsnDb | null;
  readonly #dns: DnsNames | null;
  readonly #cache: Lru<string, Place>;
  readonly #w = new Uint32Array(4);
  hits = 0;
  misses = 0;

  constructor(opts: EnricherOptions = {}) {
    const onProblem = opts.onProblem ?? warn;
    this.geo = opts.geo !== undefined ? opts.geo : openGeoOrNull(opts.geoPath, onProblem);
    this.asn = opts.asn !== undefined ? opts.asn : openAsnOrNull(opts.asnPath, onProblem);
    this.#dns = opts.dnsNames ?? null;
    this.#cache = new Lru(opts.cacheSize ?? 8192);
  }

  /**
   * Loads the ASN tables now instead of at the first external flow (about 0.5 s on a desktop
   * core): a sensor calls this at start so no packet waits behind it. Problems go to onProblem.
   */
  warm(): void {
    this.asn?.lookup('8.8.8.8');
  }

  /**
   * The other end of a flow. `deviceIp`: the local device's address (whose DNS answers name the
   * remote), or null. `ts`: packet time the flow started (recommended: picks the name answered
   * before the flow, not a later one for the same CDN address).
   */
  remote(deviceIp: string | null, remoteIp: string, ts?: number): RemoteInfo {
    const p = this.place(remoteIp);
    const name = this.#dns === null ? null : this.#dns.nameFor(deviceIp ?? '', remoteIp, ts);
    return {
      country: p.country,
      asn: p.asn,
      asOrg: p.asOrg,
      name,
      domain: name === null ? null : registeredDomain(name),
    };
  }

  /** Country and AS of an address (cached; private and reserved addresses answer at once). */
  place(ip: string): Place {
    const w = this.#w;
    if (!isRoutable(w, unmapV4(w, parseIp(ip, w)))) return NOWHERE;
    const c = this.#cache.get(ip);
    if (c !== undefined) {
      this.hits++;
      return c;
    }
    this.misses++;
    const a = this.asn?.lookup(ip) ?? null;
    const p: Place = { country: this.geo?.country(ip) ?? null, asn: a?.asn ?? null, asOrg: a?.org ?? null };
    this.#cache.set(ip, p);
    return p;
  }

  /** Counter values under their dotted names (the DnsNames counters come from DnsNames.stats()). */
  stats(): Record<string, number> {
    return {
      'enrich.cache_hits': this.hits,
      'enrich.cache_misses': this.misses,
      'enrich.cache_evicted': this.#cache.evicted,
      'enrich.geo_lookups': this.geo?.lookups ?? 0,
      'enrich.geo_errors': this.geo?.errors ?? 0,
      'enrich.asn_lookups': this.asn?.lookups ?? 0,
      'enrich.asn_errors': this.asn?.errors ?? 0,
    };
  }
}
