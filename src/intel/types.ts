/**
 * Threat-intelligence contracts shared by the feed parsers, the indicator set, the updater and
 * the matcher. An indicator is one listed thing (an address, a network, a domain, a URL, a TLS
 * fingerprint, a hash) with where it came from and what its feed says it is.
 */
import type { Severity } from '../alert/alert.js';

export type IndicatorType =
  | 'ip'       // one IPv4/IPv6 address (an ip:port entry keeps the port in `port`)
  | 'cidr'     // a network, e.g. 1.10.16.0/20, 2001:db8::/32
  | 'domain'   // a domain: also covers every name below it (a.b.evil.example)
  | 'url'      // scheme-less and lower-cased host, original path/query: evil.example/x.php?a=1
  | 'ja3'      // JA3 / JA3S MD5 (32 hex)
  | 'ja4'      // JA4 string
  | 'hash';    // file/cert hash (md5/sha1/sha256 hex): kept and searchable, not yet matched on the wire

/** What a feed says its indicators are; drives the alert's wording and default severity. */
export type IntelCategory =
  | 'c2'          // botnet command and control
  | 'malware'     // malware distribution / payload hosts and URLs
  | 'phishing'
  | 'scanner'     // mass scanners, brute-forcers (knocking from outside is expected)
  | 'tor'         // Tor exit nodes (informational: Tor use is not compromise)
  | 'hostile'     // hijacked / hostile netblocks (Spamhaus DROP)
  | 'privacy'     // ad and tracker domains
  | 'suspicious'; // everything else

export interface Indicator {
  readonly type: IndicatorType;
  /** Normalised value: lower-case; addresses in canonical text; CIDR with its length; URL without scheme. */
  readonly value: string;
  /** For ip:port entries (Feodo, Maltrail), else 0. */
  readonly port: number;
  /** Feed id, e.g. `feodo`, `spamhaus-drop`, `file:my-list.txt`. */
  readonly feed: string;
  readonly category: IntelCategory;
  readonly severity: Severity;
  /** What the feed says about this entry (malware family, listing reason), or ''. */
  readonly description: string;
  /** Link to the feed's page about the entry (or the feed's page), or ''. */
  readonly reference: string;
}

/** Defaults a parser applies to every indicator of a feed (from the catalogue or the user). */
export interface FeedDefaults {
  readonly feed: string;
  readonly category: IntelCategory;
  readonly severity: Severity;
  readonly reference: string;
}

export interface ParseResult {
  readonly indicators: Indicator[];
  /** Lines / entries that could not be read: counted, never fatal. */
  readonly malformed: number;
  /** Entries skipped on purpose (private/reserved space, localhost lines, unsupported STIX patterns …). */
  readonly skipped: number;
  /** A few examples of malformed entries for the user (at most 5, truncated). */
  readonly examples: string[];
}

export type FeedFormat =
  | 'auto'
  | 'plain'        // one IP / CIDR / domain per line, # or ; comments, trailing comments allowed
  | 'firehol'      // .ipset / .netset
  | 'hosts'        // 0.0.0.0 domain
  | 'domains'      // one domain per line
  | 'abusech-csv'  // Feodo / URLhaus / ThreatFox / SSLBL CSV exports
  | 'zeek-intel'   // Zeek Intel framework TSV
  | 'maltrail'     // mixed domains, IPs, IP:port, URL paths
  | 'ipsum'        // IP<TAB>count
  | 'tor-exits'    // bulk exit list or TorDNSEL exit-addresses
  | 'spamhaus'     // DROP text (`cidr ; SBL`) or NDJSON
  | 'stix'         // STIX 2.1 bundle
  | 'misp'         // MISP event JSON (or a feed's manifest + events)
  | 'misp-csv';

/** One hit: an observed value matched an indicator. */
export interface IntelHit {
  readonly indicator: Indicator;
  /** The observed value that matched (an address, a queried name, an SNI …). */
  readonly seen: string;
}

/**
 * The loaded indicators, built once per feed update and swapped atomically. Lookups must be cheap
 * (they run per flow and per DNS/TLS/HTTP record): addresses in near-constant time whatever the
 * number of prefixes, domains by walking up the labels.
 */
export interface IntelLookup {
  /** Indicators listing this address (exact or any covering network), all feeds. */
  matchIp(ip: string): readonly Indicator[];
  /** Indicators listing this name or any parent domain of it. */
  matchDomain(name: string): readonly Indicator[];
  /** Indicators listing this URL (host + path, scheme-less; query ignored if the indicator has none). */
  matchUrl(hostAndPath: string): readonly Indicator[];
  matchJa3(md5: string): readonly Indicator[];
  matchJa4(ja4: string): readonly Indicator[];
  /** Everything matching a value of any type (for `vigil intel check`): an IP, CIDR, domain, URL or hash. */
  lookup(value: string): readonly Indicator[];
  readonly size: number;
}
