/**
 * The built-in feed catalogue (docs/formats.md §2.10): what Vigil can fetch without the user
 * typing a URL. Each entry says where the list lives, how to read it, what its entries are, how
 * often it may be fetched (never faster than the provider asks) and whose terms apply.
 *
 * On by default: the feeds that need no account. Feeds behind the free abuse.ch Auth-Key turn on
 * by themselves once `intel.abuseChKey` is set. Optional feeds (FireHOL level1, StevenBlack,
 * MISP CIRCL) are turned on with `intel.enable`. Any feed is turned off with `intel.disabled`.
 */
import type { Severity } from '../alert/alert.js';
import type { FeedFormat, IntelCategory } from './types.js';

/** How a feed uses the abuse.ch Auth-Key. */
export type KeyUse =
  | 'none'      // never sent
  | 'optional'  // sent when configured (abuse.ch asks integrators to), the feed works without it
  | 'required'; // the feed is not fetched without a key ("needs key")

export interface CatalogueFeed {
  /** Stable id: config (`intel.disabled`/`intel.enable`), file names, `Indicator.feed`. */
  readonly id: string;
  readonly name: string;
  /** Primary URL first; later ones are mirrors tried when the first fails. */
  readonly urls: readonly string[];
  readonly format: FeedFormat;
  readonly category: IntelCategory;
  readonly severity: Severity;
  /** Default refresh in seconds. */
  readonly everySeconds: number;
  /** The provider's floor: no schedule (nor `--every`) may fetch more often than this. */
  readonly minEverySeconds: number;
  readonly key: KeyUse;
  /** URLhaus exports take the key as an `auth-key` query parameter too (besides the header). */
  readonly keyInQuery: boolean;
  /**
   * Hosts the key may be sent to (exact names or `.suffix`); default abuse.ch and its subdomains.
   * The key never follows a redirect or a mirror to any other host.
   */
  readonly keyHosts?: readonly string[];
  /** 'on' = on unless disabled; 'key' = on once the abuse.ch key is set; 'optional' = off unless enabled. */
  readonly defaultOn: 'on' | 'key' | 'optional';
  /** What the list holds, in a few words. */
  readonly what: string;
  /** Licence / terms and the attribution to show. */
  readonly licence: string;
  /** The provider's page about the list (alerts link to it). */
  readonly reference: string;
}

const H = 3600;
const D = 86400;

export const CATALOGUE: readonly CatalogueFeed[] = [
  {
    id: 'feodo',
    name: 'abuse.ch Feodo Tracker botnet C2 IPs',
    urls: ['https://feodotracker.abuse.ch/downloads/ipblocklist.csv'],
    format: 'abusech-csv',
    category: 'c2',
    severity: 'high',
    // The list is regenerated every 5 minutes; hourly is what the brief and abuse.ch's fair use allow.
    everySeconds: H,
    minEverySeconds: H,
    key: 'optional',
    keyInQuery: false,
    defaultOn: 'on',
    what: 'botnet command-and-control servers (IP:port, malware family)',
    licence: 'CC0 (abuse.ch Feodo Tracker); credit abuse.ch',
    reference: 'https://feodotracker.abuse.ch/blocklist/',
  },
  {
    id: 'spamhaus-drop',
    name: 'Spamhaus DROP (IPv4)',
    urls: ['https://www.spamhaus.org/drop/drop_v4.json'],
    format: 'spamhaus',
    category: 'hostile',
    severity: 'medium',
    // Spamhaus: at most once per hour, daily is enough (EDROP was merged into DROP in 2024).
    everySeconds: 12 * H,
    minEverySeconds: H,
    key: 'none',
    keyInQuery: false,
    defaultOn: 'on',
    what: 'hijacked and criminal netblocks (do not route or peer)',
    licence: 'Spamhaus DROP terms (free incl. commercial use; credit "The Spamhaus Project")',
    reference: 'https://www.spamhaus.org/blocklists/do-not-route-or-peer/',
  },
  {
    id: 'spamhaus-drop-v6',
    name: 'Spamhaus DROP (IPv6)',
    urls: ['https://www.spamhaus.org/drop/drop_v6.json'],
    format: 'spamhaus',
    category: 'hostile',
    severity: 'medium',
    everySeconds: 12 * H,
    minEverySeconds: H,
    key: 'none',
    keyInQuery: false,
    defaultOn: 'on',
    what: 'hijacked and criminal IPv6 netblocks',
    licence: 'Spamhaus DROP terms (free incl. commercial use; credit "The Spamhaus Project")',
    reference: 'https://www.spamhaus.org/blocklists/do-not-route-or-peer/',
  },
  {
    id: 'tor-exits',
    name: 'Tor exit relays',
    urls: ['https://check.torproject.org/torbulkexitlist'],
    format: 'tor-exits',
    category: 'tor',
    // Informational: Tor use is not a compromise, but an IoT device using Tor is worth a look.
    severity: 'low',
    everySeconds: H,
    minEverySeconds: H,
    key: 'none',
    keyInQuery: false,
    defaultOn: 'on',
    what: 'addresses of Tor exit relays (anonymiser)',
    licence: 'The Tor Project (public list)',
    reference: 'https://check.torproject.org/',
  },
  {
    id: 'urlhaus',
    name: 'abuse.ch URLhaus recent malware URLs',
    urls: ['https://urlhaus-api.abuse.ch/files/exports/recent.csv'],
    format: 'abusech-csv',
    category: 'malware',
    severity: 'high',
    // Generated every 5 minutes ("do not fetch more often"); hourly is plenty for a home sensor.
    everySeconds: H,
    minEverySeconds: 5 * 60,
    key: 'required',
    keyInQuery: true,
    defaultOn: 'key',
    what: 'URLs and hosts distributing malware (last 30 days)',
    licence: 'abuse.ch terms of use (free for non-commercial use); credit abuse.ch URLhaus',
    reference: 'https://urlhaus.abuse.ch/',
  },
  {
    id: 'threatfox',
    name: 'abuse.ch ThreatFox recent IOCs',
    urls: ['https://threatfox.abuse.ch/export/csv/recent/'],
    format: 'abusech-csv',
    category: 'c2',
    severity: 'high',
    everySeconds: H,
    minEverySeconds: H,
    key: 'required',
    keyInQuery: false,
    defaultOn: 'key',
    what: 'C2 and payload IOCs: ip:port, domains, URLs, hashes (last 48 h)',
    licence: 'abuse.ch terms of use (free for non-commercial use); credit abuse.ch ThreatFox',
    reference: 'https://threatfox.abuse.ch/',
  },
  {
    id: 'sslbl-ja3',
    name: 'abuse.ch SSLBL malicious JA3 fingerprints',
    urls: ['https://sslbl.abuse.ch/blacklist/ja3_fingerprints.csv'],
    format: 'abusech-csv',
    category: 'malware',
    // JA3 lists are false-positive prone (one fingerprint, many clients): medium, not high.
    severity: 'medium',
    everySeconds: D,
    minEverySeconds: D,
    key: 'required',
    keyInQuery: false,
    defaultOn: 'key',
    what: 'TLS client fingerprints (JA3) of malware',
    licence: 'CC0 (abuse.ch SSLBL); credit abuse.ch',
    reference: 'https://sslbl.abuse.ch/ja3-fingerprints/',
  },
  {
    id: 'sslbl-certs',
    name: 'abuse.ch SSLBL malicious certificates',
    urls: ['https://sslbl.abuse.ch/blacklist/sslblacklist.csv'],
    format: 'abusech-csv',
    category: 'c2',
    severity: 'high',
    everySeconds: D,
    minEverySeconds: D,
    key: 'required',
    keyInQuery: false,
    defaultOn: 'key',
    what: 'SHA-1 fingerprints of certificates used by botnet C2 servers',
    licence: 'CC0 (abuse.ch SSLBL); credit abuse.ch',
    reference: 'https://sslbl.abuse.ch/ssl-certificates/',
  },
  {
    id: 'firehol-level1',
    name: 'FireHOL level1',
    urls: [
      'https://iplists.firehol.org/files/firehol_level1.netset',
      'https://raw.githubusercontent.com/firehol/blocklist-ipsets/master/firehol_level1.netset',
    ],
    format: 'firehol',
    category: 'hostile',
    severity: 'medium',
    everySeconds: D,
    minEverySeconds: H,
    key: 'none',
    keyInQuery: false,
    defaultOn: 'optional',
    what: 'aggregate of attack/malware/abuse lists (bogons are skipped when read)',
    licence: 'per upstream source (FireHOL aggregates; see its page)',
    reference: 'https://iplists.firehol.org/?ipset=firehol_level1',
  },
  {
    id: 'stevenblack',
    name: 'StevenBlack unified hosts (ads and trackers)',
    urls: ['https://raw.githubusercontent.com/StevenBlack/hosts/master/hosts'],
    format: 'hosts',
    category: 'privacy',
    // Ads and trackers are a privacy matter, not a compromise.
    severity: 'info',
    everySeconds: D,
    minEverySeconds: H,
    key: 'none',
    keyInQuery: false,
    defaultOn: 'optional',
    what: 'ad, tracker and malware domains (~170k)',
    licence: 'MIT (repository) + per-source licences (CC BY 3.0 AdAway, CC BY-SA 4.0 KADhosts …)',
    reference: 'https://github.com/StevenBlack/hosts',
  },
  {
    id: 'misp-circl',
    name: 'CIRCL MISP OSINT feed',
    urls: ['https://www.circl.lu/doc/misp/feed-osint/'],
    format: 'misp',
    category: 'suspicious',
    severity: 'medium',
    everySeconds: D,
    minEverySeconds: H,
    key: 'none',
    keyInQuery: false,
    defaultOn: 'optional',
    what: 'OSINT events (to_ids network indicators of recent events)',
    licence: 'CIRCL OSINT feed, TLP:WHITE / per event terms',
    reference: 'https://www.circl.lu/doc/misp/feed-osint/',
  },
];

const BY_ID = new Map(CATALOGUE.map((f) => [f.id, f]));

export function catalogueFeed(id: string): CatalogueFeed | undefined {
  return BY_ID.get(id);
}

const ABUSE_CH_HOSTS = ['abuse.ch', '.abuse.ch'];

/** Whether a feed's key may be sent to `host` (never to a mirror or a redirect elsewhere). */
export function keyAllowed(feed: Pick<CatalogueFeed, 'keyHosts'>, host: string): boolean {
  const h = host.toLowerCase();
  return (feed.keyHosts ?? ABUSE_CH_HOSTS).some((k) => (k.startsWith('.') ? h.endsWith(k) : h === k));
}
