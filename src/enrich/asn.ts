/**
 * Autonomous system (number and organisation) of an IP address.
 *
 * Bundled data: ip-location-db's numeric ASN CSVs, parsed into typed arrays on the first lookup
 * (`asn-csv.ts`), so a run that never meets an external address never pays for them. A user's
 * own GeoLite2-ASN .mmdb (`autonomous_system_number`, `autonomous_system_organization`) or a
 * directory holding `asn-ipv4-num.csv` / `asn-ipv6-num.csv` can be given instead.
 */
import { createRequire } from 'node:module';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Reader, Response } from 'maxmind';
import { ipv4String } from '../util/addr.js';
import { VigilError } from '../util/errors.js';
import { findRange, loadAsnCsv, type AsnTables } from './asn-csv.js';
import { isRoutable, parseIp, unmapV4 } from './ip.js';
import { openMmdb } from './mmdb.js';

const FIX = 'point enrich.asnDb to a GeoLite2-ASN .mmdb file (or a directory with asn-ipv4-num.csv), or leave it empty for the bundled data (reinstall Vigil if that is missing)';
const V4_FILE = 'asn-ipv4-num.csv';
const V6_FILE = 'asn-ipv6-num.csv';

export interface AsnInfo {
  readonly asn: number;
  /** Organisation name as the data gives it, or null when the data has none. */
  readonly org: string | null;
}

/** Directory of the bundled ASN CSVs. */
export function defaultAsnDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@ip-location-db/asn/package.json'));
}

export interface AsnOpenOptions {
  /** Called once if the CSV data cannot be loaded at the first lookup (ASN is then left out). */
  onProblem?: (msg: string) => void;
}

export class AsnDb {
  /** The .mmdb file or the CSV directory. */
  readonly path: string;
  readonly kind: 'csv' | 'mmdb';
  readonly #v4Csv: string | null;
  readonly #v6Csv: string | null;
  readonly #reader: Reader<Response> | null;
  readonly #onProblem: (msg: string) => void;
  #tables: AsnTables | null = null;
  /** Set when the lazy load failed: every lookup then answers null at once. */
  #broken = false;
  readonly #w = new Uint32Array(4);
  /** Milliseconds the CSV load took (0 before it happened, and for an mmdb). */
  loadMs = 0;
  lookups = 0;
  errors = 0;

  private constructor(path: string, kind: 'csv' | 'mmdb', v4: string | null, v6: string | null, reader: Reader<Response> | null, onProblem: (msg: string) => void) {
    this.path = path;
    this.kind = kind;
    this.#v4Csv = v4;
    this.#v6Csv = v6;
    this.#reader = reader;
    this.#onProblem = onProblem;
  }

  /**
   * Opens ASN data ('' or undefined: the bundled CSVs). An .mmdb is read and checked now; CSVs
   * are only checked for presence now and parsed at the first lookup (or by `load()`).
   * Throws VigilError VIGIL_ERR_ENRICH_DATA.
   */
  static open(path?: string, opts: AsnOpenOptions = {}): AsnDb {
    const p = path || defaultAsnDir();
    const onProblem = opts.onProblem ?? (() => {});
    let dir = false;
    try {
      dir = statSync(p).isDirectory();
    } catch (e) {
      throw new VigilError('VIGIL_ERR_ENRICH_DATA', `cannot read the ASN database ${p} (${(e as NodeJS.ErrnoException).code ?? 'error'}); ${FIX}.`);
    }
    if (dir) {
      const v4 = join(p, V4_FILE);
      const v6 = join(p, V6_FILE);
      const has4 = existsSync(v4);
      const has6 = existsSync(v6);
      if (!has4 && !has6) throw new VigilError('VIGIL_ERR_ENRICH_DATA', `the directory ${p} holds neither ${V4_FILE} nor ${V6_FILE}; ${FIX}.`);
      return new AsnDb(p, 'csv', has4 ? v4 : null, has6 ? v6 : null, null, onProblem);
    }
    const reader = openMmdb(p, 'ASN', FIX);
    const t = reader.metadata.databaseType;
    if (/country|city/i.test(t) && !/asn/i.test(t)) {
      throw new VigilError('VIGIL_ERR_ENRICH_DATA', `${p} is a country database (${t}), not an ASN one; ${FIX}.`);
    }
    return new AsnDb(p, 'mmdb', null, null, reader, onProblem);
  }

  /** Parses the CSVs now (no-op for an mmdb or when already loaded). Throws VIGIL_ERR_ENRICH_DATA. */
  load(): void {
    if (this.kind !== 'csv' || this.#tables !== null) return;
    const t0 = process.hrtime.bigint();
    try {
      const t = loadAsnCsv(this.#v4Csv, this.#v6Csv);
      if (t.v4.count + t.v6.count === 0) throw new Error(`no ASN ranges (${t.badLines} unreadable lines)`);
      this.#tables = t;
    } catch (e) {
      this.#broken = true;
      throw new VigilError('VIGIL_ERR_ENRICH_DATA', `cannot load the ASN data in ${this.path} (${(e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e))}); ${FIX}.`);
    }
    this.loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  }

  get loaded(): boolean {
    return this.#tables !== null || this.#reader !== null;
  }

  /** AS of `ip`, or null when unknown, not an address, or private/reserved (never looked up). */
  lookup(ip: string): AsnInfo | null {
    const w = this.#w;
    const fam = unmapV4(w, parseIp(ip, w));
    if (!isRoutable(w, fam) || this.#broken) return null;
    this.lookups++;
    if (this.#reader !== null) return this.#fromMmdb(this.#reader, fam === 4 && ip.indexOf(':') >= 0 ? ipv4String(w[0]) : ip);
    if (this.#tables === null) {
      try {
        this.load();
      } catch (e) {
        this.#onProblem(e instanceof VigilError ? `${e.code}: ${e.message} AS numbers are left out.` : String(e));
        return null;
      }
    }
    const t = this.#tables as AsnTables;
    const table = fam === 4 ? t.v4 : t.v6;
    const i = findRange(table, w);
    if (i < 0) return null;
    const asn = table.asns[i];
    if (asn === 0) return null;
    return { asn, org: t.orgs.get(asn) ?? null };
  }

  #fromMmdb(reader: Reader<Response>, ip: string): AsnInfo | null {
    let rec: { autonomous_system_number?: unknown; autonomous_system_organization?: unknown } | null;
    try {
      rec = reader.get(ip) as typeof rec;
    } catch {
      this.errors++;
      return null;
    }
    if (rec === null || typeof rec !== 'object') return null;
    const asn = rec.autonomous_system_number;
    if (typeof asn !== 'number' || !Number.isInteger(asn) || asn <= 0 || asn > 0xffffffff) return null;
    const org = rec.autonomous_system_organization;
    return { asn, org: typeof org === 'string' && org !== '' ? org : null };
  }

  /** Sizes for the report and `vigil doctor`. */
  stats(): { ranges4: number; ranges6: number; orgs: number; badLines: number; loadMs: number } {
    const t = this.#tables;
    return {
      ranges4: t?.v4.count ?? 0,
      ranges6: t?.v6.count ?? 0,
      orgs: t?.orgs.size ?? 0,
      badLines: t?.badLines ?? 0,
      loadMs: this.loadMs,
    };
  }
}

/** AsnDb that never throws at open: a problem is reported through `onProblem` and null returned. */
export function openAsnOrNull(path: string | undefined, onProblem: (msg: string) => void): AsnDb | null {
  try {
    return AsnDb.open(path, { onProblem });
  } catch (e) {
    onProblem(e instanceof VigilError ? `${e.code}: ${e.message} AS numbers are left out.` : `ASN data unavailable: ${String(e)}`);
    return null;
  }
}
