/**
 * Country of an IP address from an offline MMDB. The bundled data is ip-location-db's
 * geo-whois-asn-country (records `{ country_code }`); a user's own GeoLite2-Country or -City file
 * (records `{ country: { iso_code }, registered_country: { iso_code } }`) works the same way.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Reader, Response } from 'maxmind';
import { ipv4String } from '../util/addr.js';
import { VigilError } from '../util/errors.js';
import { isRoutable, parseIp, unmapV4 } from './ip.js';
import { openMmdb } from './mmdb.js';

const FIX = 'point enrich.geoDb to a GeoLite2-Country/City .mmdb file, or leave it empty for the bundled data (reinstall Vigil if that is missing)';

/** The bundled country MMDB (IPv4 and IPv6 in one file). */
export function defaultGeoPath(): string {
  const pkg = createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/package.json');
  return join(dirname(pkg), 'geo-whois-asn-country.mmdb');
}

/** The shapes of country records we read; everything else in a record is ignored. */
interface CountryRecord {
  country_code?: unknown;
  country?: { iso_code?: unknown };
  registered_country?: { iso_code?: unknown };
}

function isoCode(v: unknown): string | null {
  // Two ASCII capitals: anything else (a damaged or foreign record) is treated as unknown.
  if (typeof v !== 'string' || v.length !== 2) return null;
  const a = v.charCodeAt(0);
  const b = v.charCodeAt(1);
  return a >= 65 && a <= 90 && b >= 65 && b <= 90 ? v : null;
}

export class Geo {
  readonly path: string;
  /** From the file's metadata, e.g. `GeoLite2-Country` or `country ipvAll`. */
  readonly databaseType: string;
  readonly #reader: Reader<Response>;
  readonly #ipv6: boolean;
  readonly #w = new Uint32Array(4);
  /** Lookups that reached the database. */
  lookups = 0;
  /** Lookups the reader threw on (a damaged data section): answered as unknown. */
  errors = 0;

  private constructor(path: string, reader: Reader<Response>) {
    this.path = path;
    this.#reader = reader;
    this.databaseType = reader.metadata.databaseType;
    this.#ipv6 = reader.metadata.ipVersion === 6;
  }

  /** Opens `path` ('' or undefined: the bundled data). Throws VigilError VIGIL_ERR_ENRICH_DATA. */
  static open(path?: string): Geo {
    const p = path || defaultGeoPath();
    const reader = openMmdb(p, 'country', FIX);
    const t = reader.metadata.databaseType;
    // A GeoLite2-ASN file opens fine but has no countries: say so instead of answering null forever.
    if (/asn/i.test(t) && !/country|city/i.test(t)) {
      throw new VigilError('VIGIL_ERR_ENRICH_DATA', `${p} is an ASN database (${t}), not a country one; ${FIX}.`);
    }
    return new Geo(p, reader);
  }

  /**
   * ISO 3166 alpha-2 code of `ip`, or null when unknown, not an address, or private/reserved
   * (those are never looked up: a home network's 192.168.x.x has no country).
   */
  country(ip: string): string | null {
    const w = this.#w;
    const fam = unmapV4(w, parseIp(ip, w));
    if (!isRoutable(w, fam)) return null;
    if (fam === 6 && !this.#ipv6) return null;
    this.lookups++;
    let rec: CountryRecord | null;
    try {
      rec = this.#reader.get(fam === 4 && ip.indexOf(':') >= 0 ? ipv4String(w[0]) : ip) as CountryRecord | null;
    } catch {
      this.errors++;
      return null;
    }
    if (rec === null || typeof rec !== 'object') return null;
    return isoCode(rec.country_code) ?? isoCode(rec.country?.iso_code) ?? isoCode(rec.registered_country?.iso_code);
  }
}

/**
 * Geo that never throws: a missing or damaged file is reported once through `onProblem` (one
 * sentence, with the error code) and the pipeline goes on without countries.
 */
export function openGeoOrNull(path: string | undefined, onProblem: (msg: string) => void): Geo | null {
  try {
    return Geo.open(path);
  } catch (e) {
    onProblem(e instanceof VigilError ? `${e.code}: ${e.message} Countries are left out.` : `country data unavailable: ${String(e)}`);
    return null;
  }
}
