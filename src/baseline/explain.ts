/**
 * The one plain sentence each baseline alert carries. Built only when an alert is raised, never
 * per flow. Strings from the network (domain names, AS organisations) are used raw: rendering
 * escapes them (rule 9).
 */
import { HIGH_PORT_RANGE } from './flow-rules.js';

/** Decimal units, as network tools and ISPs count: 850 MB, 1.2 GB, 400 B. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ['KB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? (Math.round(v * 10) / 10).toString() : Math.round(v).toString()} ${units[i]}`;
}

/** 40×, 2.5× */
export function formatRatio(r: number): string {
  return `${r < 10 ? (Math.round(r * 10) / 10).toString() : Math.round(r).toString()}×`;
}

let regionNames: Intl.DisplayNames | null | undefined;

/** `RU` -> `Russia`; the code itself when the runtime has no name for it. */
export function countryName(code: string): string {
  if (regionNames === undefined) {
    try {
      regionNames = new Intl.DisplayNames(['en'], { type: 'region' });
    } catch {
      regionNames = null;
    }
  }
  try {
    return regionNames?.of(code) ?? code;
  } catch {
    return code;
  }
}

export function asnText(asn: string | number | null, org: string | null): string | null {
  if (asn === null || asn === '') return null;
  return org ? `AS${asn} ${org}` : `AS${asn}`;
}

/** `tcp/443`, or `TCP high ports (32768-65535)` for the grouped range. */
export function serviceText(value: string): string {
  const slash = value.indexOf('/');
  if (slash > 0 && value.endsWith(HIGH_PORT_RANGE)) return `${value.slice(0, slash).toUpperCase()} high ports (${HIGH_PORT_RANGE})`;
  return value;
}

/** What the rest of the network does with an ASN or domain, for the sentence. */
export function rarityClause(kind: 'network' | 'domain', others: number): string {
  if (others === 0) return `, a ${kind} no other device here uses`;
  return ` (${others} other device${others === 1 ? '' : 's'} here use${others === 1 ? 's' : ''} it)`;
}

/** "1.2.3.4 (evil.example)" */
export function remoteText(ip: string, port: number | null, domain: string | null): string {
  const addr = port === null ? ip : ip.indexOf(':') >= 0 ? `[${ip}]:${port}` : `${ip}:${port}`;
  return domain ? `${addr} (${domain})` : addr;
}

/** Joins the non-empty parts with ", ". */
export function list(...parts: (string | null | undefined)[]): string {
  return parts.filter((p): p is string => !!p).join(', ');
}
