/**
 * Opening a MaxMind DB file (`maxmind`'s Reader over a Buffer, synchronously: the sensor opens
 * its data once at start and must know right then whether it has it). Every failure a user can
 * cause (missing file, not an MMDB, damaged tree) becomes VIGIL_ERR_ENRICH_DATA with one sentence.
 */
import { readFileSync } from 'node:fs';
import { Reader, type Response } from 'maxmind';
import { VigilError } from '../util/errors.js';

/** Addresses looked up once at open: a damaged search tree or data section throws here, not later. */
const PROBES = ['8.8.8.8', '1.1.1.1', '81.2.69.160', '2001:4860:4860::8888', '2a00:1450:4001:80b::200e'];

/**
 * Reads and checks an MMDB file. `what` names the data for messages (`country`, `ASN`) and
 * `fix` says what the user should do, e.g. "set enrich.geoDb to a GeoLite2-Country file".
 */
export function openMmdb(path: string, what: string, fix: string): Reader<Response> {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new VigilError('VIGIL_ERR_ENRICH_DATA', `cannot read the ${what} database ${path} (${code}); ${fix}.`);
  }
  let reader: Reader<Response>;
  try {
    reader = new Reader<Response>(buf);
    const v6 = reader.metadata.ipVersion === 6;
    for (const ip of PROBES) if (v6 || ip.indexOf(':') < 0) reader.get(ip);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new VigilError('VIGIL_ERR_ENRICH_DATA', `the ${what} database ${path} is not a valid MaxMind DB file (${why}); ${fix}.`);
  }
  return reader;
}
