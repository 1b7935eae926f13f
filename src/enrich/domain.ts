/**
 * Registered domain ("eTLD+1") of a DNS name, with the Public Suffix List bundled in `tldts`.
 *
 * Decisions (baselines learn "new domain" from this, so what counts as one owner matters):
 * - Private PSL suffixes are honoured: `alice.github.io`, `x.duckdns.org`, `bucket.s3.amazonaws.com`
 *   are each their own registered domain, because different people control them (a device that
 *   starts talking to a new dynamic-DNS name is exactly what we must notice). ICANN-only would
 *   fold them all into `github.io` / `duckdns.org`, hiding `evil.duckdns.org` behind the
 *   household's own `home.duckdns.org` (dynamic DNS is a classic IoT C2 home). The price: big
 *   providers' shared suffixes split too (`play.googleapis.com`, `d111x.cloudfront.net` are each
 *   a domain); the AS (Google, Amazon) still groups them. Pass `{ privateSuffixes: false }` for
 *   ICANN-only.
 * - Names whose suffix is not on the list at all (`.local`, `.lan`, `.home`, `.internal`,
 *   `.localdomain`, single labels like `wpad`) and names under `.arpa` (reverse lookups,
 *   `home.arpa`) are local or infrastructure names: null.
 * - IP literals (also bracketed IPv6) are null. Case and trailing dots do not matter; the result
 *   is lower case.
 */
import { parse } from 'tldts';

export interface DomainOptions {
  /** Honour the PSL's private section (github.io, duckdns.org …). Default true. */
  privateSuffixes?: boolean;
}

const WITH_PRIVATE = { allowPrivateDomains: true, extractHostname: false } as const;
const ICANN_ONLY = { allowPrivateDomains: false, extractHostname: false } as const;
const MAX_NAME = 253;

/**
 * Lower case, without trailing dots; null when it cannot be a DNS host name: labels of 1-63
 * letters, digits, '-' or '_' (service labels such as `_dmarc`), ASCII only (IDNs arrive as
 * punycode). Checked here because tldts validates nothing when told the input is a host name.
 */
function normalise(name: string): string | null {
  let end = name.length;
  while (end > 0 && name.charCodeAt(end - 1) === 46) end--;
  if (end === 0 || end > MAX_NAME) return null;
  let label = 0;
  for (let i = 0; i < end; i++) {
    const c = name.charCodeAt(i);
    if (c === 46) {
      if (label === 0) return null; // empty label
      label = 0;
    } else if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95) {
      if (++label > 63) return null;
    } else {
      return null;
    }
  }
  const n = end === name.length ? name : name.slice(0, end);
  return n.toLowerCase();
}

export function registeredDomain(name: string, opts: DomainOptions = {}): string | null {
  const n = normalise(name);
  if (n === null) return null;
  if (n.charCodeAt(0) === 91 || n.indexOf(':') >= 0) return null; // [v6] or v6 text
  if (n.endsWith('.arpa') || n === 'arpa') return null;
  const r = parse(n, opts.privateSuffixes === false ? ICANN_ONLY : WITH_PRIVATE);
  if (r.isIp || r.domain === null) return null;
  // Suffix unknown to the PSL: tldts then takes the last label as the suffix (`printer.local`
  // gives `printer.local`); such names are never registered anywhere.
  if (!r.isIcann && !r.isPrivate) return null;
  return r.domain;
}
