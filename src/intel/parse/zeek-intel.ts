/**
 * Zeek Intel framework files (and "Critical Stack style" feeds): TAB-separated, a `#fields` line
 * naming the columns (any order), `-` = unset, `(empty)` = empty, other `#` lines comments.
 *
 * - `indicator_type`: `Intel::ADDR` (address, or a network if written with a prefix),
 *   `Intel::SUBNET`, `Intel::DOMAIN`, `Intel::URL` (scheme-less), `Intel::JA3`, `Intel::JA4`,
 *   `Intel::CERT_HASH`, `Intel::FILE_HASH`, `Intel::PUBKEY_HASH` (colon hex) → `hash`; the types
 *   we never see on the wire as such (SOFTWARE, EMAIL, USER_NAME, FILE_NAME) are skipped as
 *   `unsupported`.
 * - `meta.source` and `meta.desc` become the description (`source: desc`, Zeek's `sources` being
 *   what intel.log reports), `meta.url` the reference.
 * - `meta.do_notice=T` asks for a notice, not just an intel.log line: the severity is raised to
 *   at least `high`; `F` keeps the feed's default. `meta.if_in` is not applied (the matcher
 *   alerts wherever the value is seen).
 * - `meta.whitelist=T` (policy `whitelist`): the value must never alert, from any source; it is
 *   returned in `allow` (the matcher's allow-list) instead of being indexed. `meta.remove=T`
 *   (policy `removal`) entries are skipped as `removed`.
 */
import { maxSeverity, type Emitter } from './emit.js';
import { forEachLine, type FeedInput } from './lines.js';
import { canonicalAny } from './emit.js';

type Kind = 'net' | 'subnet' | 'domain' | 'url' | 'ja3' | 'ja4' | 'hash' | 'unsupported';

const TYPES: Readonly<Record<string, Kind>> = {
  'Intel::ADDR': 'net',
  'Intel::SUBNET': 'subnet',
  'Intel::DOMAIN': 'domain',
  'Intel::URL': 'url',
  'Intel::JA3': 'ja3',
  'Intel::JA3S': 'ja3',
  'Intel::JA4': 'ja4',
  'Intel::CERT_HASH': 'hash',
  'Intel::FILE_HASH': 'hash',
  'Intel::PUBKEY_HASH': 'hash',
  'Intel::SOFTWARE': 'unsupported',
  'Intel::EMAIL': 'unsupported',
  'Intel::USER_NAME': 'unsupported',
  'Intel::FILE_NAME': 'unsupported',
};

export function parseZeekIntel(input: FeedInput, e: Emitter): void {
  let cols: string[] | null = null;
  let iInd = -1, iType = -1, iSource = -1, iDesc = -1, iUrl = -1, iNotice = -1, iWhite = -1, iRemove = -1;
  let sep = '\t';
  forEachLine(input, (raw) => {
    if (raw.length === 0) return;
    if (raw.charCodeAt(0) === 35) {
      if (raw.startsWith('#fields')) {
        cols = raw.slice(7).replace(/^[\t ]/, '').split(/\t/).map((c) => c.trim());
        iInd = cols.indexOf('indicator');
        iType = cols.indexOf('indicator_type');
        iSource = cols.indexOf('meta.source');
        iDesc = cols.indexOf('meta.desc');
        iUrl = cols.indexOf('meta.url');
        iNotice = cols.indexOf('meta.do_notice');
        iWhite = cols.indexOf('meta.whitelist');
        iRemove = cols.indexOf('meta.remove');
        if (iInd < 0 || iType < 0) { e.bad(raw); cols = null; }
      } else if (raw.startsWith('#separator')) {
        const v = raw.slice(10).trim();
        if (v === '\\x09' || v === '\\t') sep = '\t';
        else if (v === '\\x20' || v === ' ') sep = ' ';
      }
      return;
    }
    if (raw.trim().length === 0) return;
    if (cols === null) { e.bad(raw); return; }
    const f = raw.split(sep);
    if (f.length < cols.length) { e.bad(raw); return; }
    const value = field(f, iInd);
    const kind = TYPES[field(f, iType)];
    if (value === '' || kind === undefined) { e.bad(raw); return; }
    if (kind === 'unsupported') { e.skip('unsupported'); return; }
    if (field(f, iRemove) === 'T') { e.skip('removed'); return; }
    if (field(f, iWhite) === 'T') {
      const c = canonicalAny(value);
      if (c === null) e.bad(raw);
      else e.allowValue(c);
      return;
    }
    const source = field(f, iSource);
    const desc = field(f, iDesc);
    e.resetMeta();
    e.meta.description = source !== '' && desc !== '' && desc !== source ? source + ': ' + desc : source !== '' ? source : desc;
    const url = field(f, iUrl);
    if (url !== '') e.meta.reference = url;
    if (field(f, iNotice) === 'T') e.meta.severity = maxSeverity(e.defaults.severity, 'high');
    let ok: boolean;
    switch (kind) {
      case 'net': ok = e.net(value); break;
      case 'subnet': ok = value.indexOf('/') > 0 && e.net(value); break;
      case 'domain': ok = e.domain(value); break;
      case 'url': ok = e.url(value); break;
      case 'ja3': ok = e.ja3(value); break;
      case 'ja4': ok = e.ja4(value); break;
      default: ok = e.hash(value); break;
    }
    if (!ok) e.bad(raw);
  });
  e.resetMeta();
}

function field(f: string[], i: number): string {
  if (i < 0 || i >= f.length) return '';
  const v = f[i].trim();
  return v === '-' || v === '(empty)' ? '' : v;
}
