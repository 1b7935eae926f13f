/**
 * `vigil intel check VALUE`: is this address, network, domain, URL or hash listed, by which feed,
 * as what, with which reference, and would the allow-list silence it? Reads the feeds' last good
 * copies (no network), exactly what the sensor matches with.
 *
 * The set comes from a swappable source (`setCheckSource`): by default the feed state in the
 * intel directory (`IntelFeeds.load()`), replaceable for tools and tests that hold a set already.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { parseIp, unmapV4 } from '../enrich/ip.js';
import { AllowList, normalizeDomain } from './allow.js';
import { describeListing, feedDisplayName } from './explain.js';
import { IntelFeeds, intelDir } from './feeds.js';
import type { Indicator, IndicatorType, IntelLookup } from './types.js';

export const INTEL_CHECK_HELP = `Usage: vigil intel check VALUE [options]

Says whether VALUE is listed by a loaded feed: an IP address, a network (CIDR), a domain (its
parent domains count), a URL, a JA3/JA4 fingerprint or a file hash. For each listing: the feed,
what the feed says it is, the severity and the feed's reference link; and whether the
allow-list (intel.allow and the built-in resolvers and CDNs) keeps it from raising alerts.
Uses the feeds' last good copies (run 'vigil intel update' to refresh them).

Exit status: 0 listed, 1 not listed, 2 bad usage.

Options:
  --config FILE        settings file (default: ./vigil.yaml or /etc/vigil/vigil.yaml if present)
  --data-dir DIR       data directory (default ./data; feeds live in DATA-DIR/intel unless intel.dir)
  --json               JSON for scripts
`;

/** What a check needs: the indicators, the allow-list and feed names. */
export interface CheckSource {
  readonly lookup: IntelLookup;
  readonly allow: AllowList;
  readonly feedName: (id: string) => string;
}

export interface CheckSourceArgs {
  readonly config?: string;
  readonly dataDir?: string;
}

export type CheckSourceLoader = (args: CheckSourceArgs) => CheckSource;

/** The default: the configured feeds' last good copies and the configured allow-list. */
export function feedsCheckSource(args: CheckSourceArgs): CheckSource {
  const { config } = loadConfig(args.config, args.dataDir !== undefined ? { dataDir: args.dataDir } : {});
  const feeds = new IntelFeeds({ dir: intelDir(config), config: config.intel });
  const names = new Map(feeds.specs().map((s) => [s.id, s.name] as const));
  return {
    lookup: feeds.load(),
    allow: new AllowList(config.intel.allow),
    feedName: (id: string) => names.get(id) ?? feedDisplayName(id),
  };
}

let loader: CheckSourceLoader = feedsCheckSource;

/** Replaces where `vigil intel check` takes its set from (null restores the feed state). */
export function setCheckSource(l: CheckSourceLoader | null): void {
  loader = l ?? feedsCheckSource;
}

export interface CheckListing {
  readonly feed: string;
  readonly feedName: string;
  readonly type: IndicatorType;
  readonly value: string;
  readonly port: number;
  readonly category: string;
  readonly severity: string;
  readonly description: string;
  readonly reference: string;
  /** One sentence, as the table prints it. */
  readonly text: string;
}

export interface CheckResult {
  readonly value: string;
  /** What VALUE was read as. */
  readonly kind: IndicatorType | 'unknown';
  /** The normalised form that was looked up. */
  readonly normalized: string;
  readonly listed: boolean;
  readonly listings: readonly CheckListing[];
  /** The allow entry covering VALUE, or null. */
  readonly allowed: string | null;
  /** Indicators loaded (all feeds). */
  readonly loaded: number;
}

/** Reads VALUE as one kind of indicator and its normalised form. */
export function classify(value: string): { kind: IndicatorType | 'unknown'; normalized: string; host: string } {
  const v = value.trim();
  const w = new Uint32Array(4);
  const slash = v.indexOf('/');
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(v);
  if (!scheme) {
    const addr = slash < 0 ? v : v.slice(0, slash);
    const fam = unmapV4(w, parseIp(addr, w));
    if (fam !== 0) {
      if (slash < 0) return { kind: 'ip', normalized: v.toLowerCase(), host: '' };
      if (/^\d{1,3}$/.test(v.slice(slash + 1))) return { kind: 'cidr', normalized: v.toLowerCase(), host: '' };
    }
    const lower = v.toLowerCase();
    if (/^[0-9a-f]{32}$/.test(lower)) return { kind: 'ja3', normalized: lower, host: '' };
    if (/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(lower)) return { kind: 'hash', normalized: lower, host: '' };
    if (/^[tqd][0-9a-z]{9}_[0-9a-f]{12}_[0-9a-f]{12}$/.test(lower)) return { kind: 'ja4', normalized: lower, host: '' };
    if (slash < 0) {
      const d = normalizeDomain(lower);
      if (d !== null) return { kind: 'domain', normalized: d, host: d };
      return { kind: 'unknown', normalized: v, host: '' };
    }
  }
  // A URL: scheme-less, host lower-cased, path kept as given (the indicators' form).
  const rest = scheme ? v.slice(scheme[0].length) : v;
  const cut = rest.indexOf('/');
  const hostPart = (cut < 0 ? rest : rest.slice(0, cut)).toLowerCase().replace(/:\d+$/, '');
  const path = cut < 0 ? '/' : rest.slice(cut);
  const host = hostPart.startsWith('[') && hostPart.endsWith(']') ? hostPart.slice(1, -1) : hostPart;
  if (host === '' || (parseIp(host, w) === 0 && normalizeDomain(host) === null)) return { kind: 'unknown', normalized: v, host: '' };
  return { kind: 'url', normalized: host + path, host };
}

/** Looks VALUE up in `src`. */
export function checkValue(value: string, src: CheckSource): CheckResult {
  const c = classify(value);
  const found: Indicator[] = [];
  const seen = new Set<Indicator>();
  const add = (list: readonly Indicator[]) => {
    for (const i of list) if (!seen.has(i)) { seen.add(i); found.push(i); }
  };
  if (c.kind !== 'unknown') {
    add(src.lookup.lookup(c.normalized));
    if (c.kind === 'url') {
      add(src.lookup.matchUrl(c.normalized));
      // A listed host makes every URL on it listed, as the matcher sees an HTTP Host.
      add(parseIp(c.host, new Uint32Array(4)) !== 0 ? src.lookup.matchIp(c.host) : src.lookup.matchDomain(c.host));
    }
  }
  const listings: CheckListing[] = found.map((i) => ({
    feed: i.feed,
    feedName: src.feedName(i.feed),
    type: i.type,
    value: i.value,
    port: i.port,
    category: i.category,
    severity: i.severity,
    description: i.description,
    reference: i.reference,
    text: describeListing(i, src.feedName),
  }));
  let allowed: string | null = null;
  if (c.kind === 'cidr') allowed = src.allow.allows('cidr', c.normalized.split('/')[0]);
  else if (c.kind === 'ja3' || c.kind === 'ja4' || c.kind === 'hash') allowed = src.allow.allows(c.kind, c.normalized);
  else if (c.kind !== 'unknown') allowed = src.allow.allows(c.kind, c.normalized);
  return { value, kind: c.kind, normalized: c.normalized, listed: listings.length > 0, listings, allowed, loaded: src.lookup.size };
}

/** The human-readable answer. */
export function formatCheck(r: CheckResult): string {
  const lines: string[] = [];
  if (r.kind === 'unknown') {
    lines.push(`${r.value}: not an IP address, network, domain, URL, fingerprint or hash; nothing to look up.`);
    return lines.join('\n') + '\n';
  }
  if (!r.listed) {
    lines.push(`${r.normalized} is not listed (${r.loaded.toLocaleString('en-US')} indicators loaded).`);
  } else {
    lines.push(`${r.normalized} is listed ${r.listings.length === 1 ? 'once' : `${r.listings.length} times`}:`);
    for (const l of r.listings) {
      lines.push(`  - ${l.text}; severity ${l.severity}`);
      if (l.reference) lines.push(`    ${l.reference}`);
    }
  }
  if (r.allowed !== null) lines.push(`It is allow-listed by ${r.allowed}: it raises no alert.`);
  else if (r.listed) lines.push('It is not allow-listed: traffic to or from it raises an alert.');
  return lines.join('\n') + '\n';
}

export async function runIntelCheck(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { config: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' } },
    });
  } catch (e) {
    process.stderr.write(`vigil intel check: ${(e as Error).message}. Run 'vigil intel check --help'.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    process.stderr.write(`vigil intel check: give one value to look up, e.g. vigil intel check 203.0.113.7 (or a domain, URL, hash).\n`);
    return 2;
  }
  const src = loader({
    ...(values.config !== undefined ? { config: values.config } : {}),
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
  });
  const r = checkValue(positionals[0], src);
  if (r.kind === 'unknown') {
    process.stderr.write(formatCheck(r));
    return 2;
  }
  process.stdout.write(values.json ? JSON.stringify(r, null, 2) + '\n' : formatCheck(r));
  return r.listed ? 0 : 1;
}
