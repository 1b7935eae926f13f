/**
 * What every parser shares: it reads raw values out of its format and hands them to an `Emitter`,
 * which normalises them, drops what must never be matched (reserved space, duplicates), counts
 * what was malformed or skipped and why, and forwards the rest to an `IndicatorTarget`: either the
 * compact `IndicatorSetBuilder` (no per-indicator objects: the 1-million-indicator path) or a
 * collector of `Indicator` objects (`parseFeed`). Parsers never throw and never normalise.
 */
import { SEVERITIES, type Severity } from '../../alert/alert.js';
import type { FeedDefaults, Indicator, IndicatorType, IntelCategory, ParseResult } from '../types.js';
import {
  NetValue, netText, netVerdict, normalizeDomain, normalizeHex, normalizeJa3, normalizeJa4, normalizeUrl,
  parseNet, classifyValue, HASH_LENGTHS,
} from '../normalize.js';

/** The per-entry part of an indicator; parsers set it (or leave the feed's defaults). */
export interface EntryMeta {
  category: IntelCategory;
  severity: Severity;
  description: string;
  reference: string;
}

export type TextType = 'domain' | 'url' | 'ja3' | 'ja4' | 'hash';

/** Where normalised indicators go. `add*` return false for a duplicate within the same feed. */
export interface IndicatorTarget {
  beginFeed(feed: string): void;
  addNet(net: NetValue, port: number, meta: EntryMeta): boolean;
  addText(type: TextType, value: string, port: number, meta: EntryMeta): boolean;
  /** False once the target's cap is reached: further entries are counted as `capped`. */
  hasRoom(): boolean;
}

/** Why entries were skipped (the `skippedBy` keys). */
export type SkipReason =
  | 'reserved'      // private/reserved/bogon address space (never alert on the LAN)
  | 'broad'         // network wider than /8 (IPv4) or /16 (IPv6): a feed mistake
  | 'duplicate'     // the same value (and port) already listed by this feed
  | 'localhost'     // hosts-file boilerplate (localhost, broadcasthost …)
  | 'unsupported'   // a type or STIX pattern we do not match (email, user agent, FOLLOWEDBY …)
  | 'below-min'     // IPsum entries listed by fewer blacklists than the threshold
  | 'not-to-ids'    // MISP attributes not meant for detection
  | 'allow'         // Zeek `meta.whitelist` / STIX `benign` entries: returned in `allow` instead
  | 'removed'       // Zeek `meta.remove`, MISP `deleted`, STIX `revoked`
  | 'expired'       // STIX `valid_until` before `ParseOptions.now`
  | 'capped';       // the indicator set is full (`maxIndicators`)

/** Options that change what a parser keeps. */
export interface ParseOptions {
  /** IPsum: minimum number of blacklists listing an address (default 3, see parse/ipsum.ts). */
  ipsumMinCount?: number;
  /** Keep private/reserved/bogon space instead of skipping it (tests of others' code only). */
  keepReserved?: boolean;
  /** Description for entries whose feed says nothing about them (e.g. a Maltrail file's family). */
  description?: string;
  /** MISP feed manifest: returns the text of `<uuid>.json`, or null when missing. */
  readEvent?: (uuid: string) => string | Uint8Array | null;
  /**
   * Mixed lists (plain, Maltrail, headerless CSV): what a bare 32-digit hex value is. Default
   * `hash` (file MD5s are far more common in such lists); `ja3` for a list of JA3 fingerprints.
   */
  hex32As?: 'hash' | 'ja3';
  /** Seconds since the epoch; STIX indicators whose `valid_until` is earlier are skipped. */
  now?: number;
}

/** `ParseResult` plus what the parsers know beyond the contract. */
export interface FeedParseResult extends ParseResult {
  /** Indicators kept (= `indicators.length`, without materialising them). */
  readonly count: number;
  /** `skipped` broken down by reason. */
  readonly skippedBy: Readonly<Partial<Record<SkipReason, number>>>;
  /** Values a feed says must never alert (Zeek `meta.whitelist=T`, STIX `benign`), canonical text. */
  readonly allow: readonly string[];
  /** Header facts some formats carry (FireHOL `Entries`, `Category`, `Maintainer URL` …). */
  readonly header: Readonly<Record<string, string>>;
}

const MAX_EXAMPLES = 5;
const MAX_EXAMPLE_CHARS = 120;
const MAX_ALLOW = 100_000;

const netScratch = new NetValue();

export class Emitter {
  /** Current entry's meta; parsers may change it per entry and call `resetMeta()`. */
  readonly meta: EntryMeta;
  count = 0;
  malformed = 0;
  skipped = 0;
  readonly skippedBy: Partial<Record<SkipReason, number>> = {};
  readonly examples: string[] = [];
  readonly allow: string[] = [];
  readonly header: Record<string, string> = {};
  private readonly keepReserved: boolean;

  constructor(
    private readonly target: IndicatorTarget,
    readonly defaults: FeedDefaults,
    readonly options: ParseOptions = {},
  ) {
    this.keepReserved = options.keepReserved === true;
    this.meta = { category: defaults.category, severity: defaults.severity, description: '', reference: defaults.reference };
    this.resetMeta();
    target.beginFeed(defaults.feed);
  }

  resetMeta(): void {
    this.meta.category = this.defaults.category;
    this.meta.severity = this.defaults.severity;
    this.meta.description = this.options.description ?? '';
    this.meta.reference = this.defaults.reference;
  }

  /** A line or entry that could not be read. */
  bad(what: string): void {
    this.malformed++;
    if (this.examples.length < MAX_EXAMPLES) {
      const t = what.length > MAX_EXAMPLE_CHARS ? what.slice(0, MAX_EXAMPLE_CHARS) + '…' : what;
      this.examples.push(t);
    }
  }

  skip(reason: SkipReason, n = 1): void {
    this.skipped += n;
    this.skippedBy[reason] = (this.skippedBy[reason] ?? 0) + n;
  }

  /** An address or network (text already trimmed). Returns false when it is not one (nothing counted). */
  net(raw: string, port = 0): boolean {
    if (!parseNet(raw, netScratch)) return false;
    this.emitNet(netScratch, port);
    return true;
  }

  /** An already parsed address or network. */
  emitNet(net: NetValue, port: number): void {
    if (!this.keepReserved) {
      const v = netVerdict(net);
      if (v !== 'ok') { this.skip(v); return; }
    }
    if (!this.target.hasRoom()) { this.skip('capped'); return; }
    if (this.target.addNet(net, port, this.meta)) this.count++;
    else this.skip('duplicate');
  }

  /** A domain; false when it is not one (nothing counted). */
  domain(raw: string): boolean {
    const d = normalizeDomain(raw);
    if (d === null) return false;
    this.text('domain', d, 0);
    return true;
  }

  /** A URL (with or without scheme); host-less paths only when `allowPathOnly`. */
  url(raw: string, allowPathOnly = false): boolean {
    const u = normalizeUrl(raw, allowPathOnly);
    if (u === null) return false;
    if (u.hostIsIp && !this.keepReserved && parseNet(u.host, netScratch) && netVerdict(netScratch) === 'reserved') {
      this.skip('reserved');
      return true;
    }
    this.text('url', u.value, 0);
    return true;
  }

  ja3(raw: string): boolean {
    const v = normalizeJa3(raw);
    if (v === null) return false;
    this.text('ja3', v, 0);
    return true;
  }

  ja4(raw: string): boolean {
    const v = normalizeJa4(raw);
    if (v === null) return false;
    this.text('ja4', v, 0);
    return true;
  }

  /** A file/cert hash: md5/sha1/sha256/sha512 hex, colon-separated accepted. */
  hash(raw: string): boolean {
    const v = normalizeHex(raw, HASH_LENGTHS, true);
    if (v === null) return false;
    this.text('hash', v, 0);
    return true;
  }

  /**
   * A value of a mixed list, typed by its shape (see `classifyValue`): addresses, networks,
   * `ip:port`, domains, URLs (and host-less paths when `allowPathOnly`), JA4, hex digests (a
   * 32-digit one is a hash unless `ParseOptions.hex32As` says `ja3`).
   */
  auto(raw: string, allowPathOnly = false): boolean {
    const kind = classifyValue(raw);
    switch (kind) {
      case 'net': return this.net(raw);
      case 'ipport': return this.ipPort(raw);
      case 'domain': return this.domain(raw);
      case 'url': return this.url(raw, false);
      case 'path': return allowPathOnly ? this.url(raw, true) : false;
      case 'ja4': return this.ja4(raw);
      case 'hex': return raw.trim().length === 32 && this.options.hex32As === 'ja3' ? this.ja3(raw) : this.hash(raw);
      default: return false;
    }
  }

  /** `a.b.c.d:port` or `[v6]:port`. */
  ipPort(raw: string): boolean {
    const colon = raw.lastIndexOf(':');
    if (colon <= 0) return false;
    const port = +raw.slice(colon + 1);
    let host = raw.slice(0, colon);
    if (host.charCodeAt(0) === 91 && host.charCodeAt(host.length - 1) === 93) host = host.slice(1, -1);
    if (!Number.isInteger(port) || port < 0 || port > 65535) return false;
    if (!parseNet(host, netScratch) || netScratch.prefix !== (netScratch.v6 ? 128 : 32)) return false;
    this.emitNet(netScratch, port);
    return true;
  }

  /** A value some feed says must never alert (kept apart, not indexed). */
  allowValue(value: string): void {
    this.skip('allow');
    if (this.allow.length < MAX_ALLOW) this.allow.push(value);
  }

  private text(type: TextType, value: string, port: number): void {
    if (!this.target.hasRoom()) { this.skip('capped'); return; }
    if (this.target.addText(type, value, port, this.meta)) this.count++;
    else this.skip('duplicate');
  }
}

/** Canonical text of any single indicator value, for allow-lists: an address, network, domain, URL or hash. */
export function canonicalAny(raw: string): string | null {
  const t = raw.trim();
  if (parseNet(t, netScratch)) return netText(netScratch);
  const d = normalizeDomain(t);
  if (d !== null) return d;
  const u = normalizeUrl(t, true);
  if (u !== null) return u.value;
  return normalizeHex(t, HASH_LENGTHS, true) ?? normalizeJa4(t);
}

// ---------------------------------------------------------------------------------------------

/** Collects `Indicator` objects (the `parseFeed` path); deduplicates per feed by type+value+port. */
export class IndicatorCollector implements IndicatorTarget {
  readonly indicators: Indicator[] = [];
  private feed = '';
  private seen = new Set<string>();

  constructor(private readonly max = Number.MAX_SAFE_INTEGER) {}

  beginFeed(feed: string): void {
    this.feed = feed;
    this.seen = new Set<string>();
  }

  hasRoom(): boolean {
    return this.indicators.length < this.max;
  }

  addNet(net: NetValue, port: number, meta: EntryMeta): boolean {
    const type: IndicatorType = net.prefix === (net.v6 ? 128 : 32) ? 'ip' : 'cidr';
    return this.push(type, netText(net), port, meta);
  }

  addText(type: TextType, value: string, port: number, meta: EntryMeta): boolean {
    return this.push(type, value, port, meta);
  }

  private push(type: IndicatorType, value: string, port: number, meta: EntryMeta): boolean {
    const key = type + ' ' + value + ' ' + port;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    this.indicators.push({
      type, value, port, feed: this.feed,
      category: meta.category, severity: meta.severity, description: meta.description, reference: meta.reference,
    });
    return true;
  }
}

/** The result of one parse into a collector. */
export function resultOf(e: Emitter, indicators: Indicator[]): FeedParseResult {
  return {
    indicators, count: e.count, malformed: e.malformed, skipped: e.skipped, examples: e.examples,
    skippedBy: e.skippedBy, allow: e.allow, header: e.header,
  };
}

/** The higher of two severities (IPsum counts and Zeek `do_notice` raise a feed's default). */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b) ? a : b;
}
