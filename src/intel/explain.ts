/**
 * Intel alerts in words: one sentence that says which device, what it did with which listed
 * value, which feed lists it, what the feed says it is and when; plus flat evidence carrying the
 * feed's reference link (issue 4: "explains each hit with its source"). Also the wording
 * `vigil intel check` uses for a listing.
 */
import type { EvidenceValue } from '../alert/alert.js';
import { CATALOGUE } from './catalogue.js';
import type { Indicator, IntelCategory } from './types.js';

/**
 * Where in the traffic a value was seen. Zeek's `Intel::Where` equivalents, for the oracle and for
 * readers who know Zeek: conn.resp = Conn::IN_RESP, conn.orig = Conn::IN_ORIG, dns.query =
 * DNS::IN_REQUEST, dns.answer = DNS::IN_RESPONSE, ssl.sni = SSL::IN_SERVER_NAME, http.host =
 * HTTP::IN_HOST_HEADER, http.url = HTTP::IN_URL; ssl.ja3/ja3s/ja4 have no Zeek base equivalent
 * (the salesforce/ja3 package matches JA3 as Intel::JA3).
 */
export type IntelWhere =
  | 'conn.orig'
  | 'conn.resp'
  | 'dns.query'
  | 'dns.answer'
  | 'ssl.sni'
  | 'ssl.ja3'
  | 'ssl.ja3s'
  | 'ssl.ja4'
  | 'http.host'
  | 'http.url';

/** out: the device reached the listed value; in: the listed address reached the device. */
export type IntelDirection = 'out' | 'in';

/** What each category is, as a noun phrase after "lists it as". */
export const CATEGORY_TEXT: Readonly<Record<IntelCategory, string>> = {
  c2: 'a botnet command-and-control server',
  malware: 'a malware distribution site',
  phishing: 'a phishing site',
  scanner: 'a mass scanner or brute-forcer',
  tor: 'a Tor exit node',
  hostile: 'part of a hijacked or criminal network',
  privacy: 'an ad or tracking service',
  suspicious: 'suspicious',
};

const CATALOGUE_NAMES = new Map(CATALOGUE.map((f) => [f.id, f.name] as const));

/** The feed's display name: the catalogue's, else its id (user feeds are `file:…` / URLs). */
export function feedDisplayName(id: string): string {
  return CATALOGUE_NAMES.get(id) ?? id;
}

/** "lists it as a botnet command-and-control server (Dridex)". */
export function listingText(ind: Indicator): string {
  const desc = cleanDescription(ind.description);
  return `${CATEGORY_TEXT[ind.category]}${desc ? ` (${desc})` : ''}`;
}

/** One line for `vigil intel check`: "feodo (abuse.ch Feodo …): 1.2.3.4:443, a botnet C2 server (Dridex)". */
export function describeListing(ind: Indicator, feedName: (id: string) => string = feedDisplayName): string {
  const name = feedName(ind.feed);
  const value = ind.port > 0 ? `${ind.value}:${ind.port}` : ind.value;
  return `${name === ind.feed ? name : `${name} [${ind.feed}]`} lists ${value} as ${listingText(ind)}`;
}

export interface HitContext {
  readonly ts: number;
  readonly where: IntelWhere;
  readonly direction: IntelDirection;
  /** Who did it, already described: "Kitchen speaker (aa:bb:…) at 192.168.1.20" or "192.168.1.20". */
  readonly who: string;
  /** Local end's address. */
  readonly localIp: string;
  /** The other end of the flow the observation came from. */
  readonly remoteIp: string;
  readonly remotePort: number;
  readonly proto: string;
  readonly uid: string;
  /** The observed value that matched. */
  readonly seen: string;
  /** dns.answer: the name that was asked; else ''. */
  readonly query: string;
  /** Inbound only: the device answered the listed address. */
  readonly answered: boolean;
  /** The indicator the alert is about (strongest), then any other feeds listing the same value. */
  readonly indicator: Indicator;
  readonly others: readonly Indicator[];
  readonly feedName: (id: string) => string;
}

/** The alert's one-sentence summary and its evidence. */
export function explainHit(h: HitContext): { summary: string; evidence: Record<string, EvidenceValue> } {
  const ind = h.indicator;
  const what = listedClause(h);
  const at = `on ${timeText(h.ts)}`;
  let summary: string;
  const port = h.remotePort > 0 && h.proto !== 'icmp' ? `${h.proto}/${h.remotePort}` : h.proto;
  switch (h.where) {
    case 'conn.resp':
      summary = `${h.who} connected to ${h.seen} (${port})${what} ${at}.`;
      break;
    case 'conn.orig':
      summary = h.answered
        ? `${h.seen}${what}, connected to ${h.who} on ${port} and the device answered, ${at}.`
        : `${h.seen}${what}, tried to reach ${h.who} on ${port} (no answer) ${at}.`;
      break;
    case 'dns.query':
      summary = `${h.who} looked up ${h.seen}${what} ${at}.`;
      break;
    case 'dns.answer':
      summary = `${h.who} was told that ${h.query} is ${h.seen}${what} ${at}.`;
      break;
    case 'ssl.sni':
      summary = `${h.who} opened a TLS connection to ${h.seen} (${h.remoteIp})${what} ${at}.`;
      break;
    case 'ssl.ja3':
    case 'ssl.ja4':
      summary = `${h.who} made a TLS connection to ${h.remoteIp} with the client fingerprint ${h.seen} (${h.where === 'ssl.ja3' ? 'JA3' : 'JA4'})${what} ${at}.`;
      break;
    case 'ssl.ja3s':
      summary = `${h.who} made a TLS connection to ${h.remoteIp}, whose server fingerprint is ${h.seen} (JA3S)${what} ${at}.`;
      break;
    case 'http.host':
      summary = `${h.who} made a web request to ${h.seen} (${h.remoteIp})${what} ${at}.`;
      break;
    case 'http.url':
      summary = `${h.who} fetched http://${h.seen}${what} ${at}.`;
      break;
  }
  const all = [ind, ...h.others];
  const evidence: Record<string, EvidenceValue> = {
    where: h.where,
    direction: h.direction,
    seen: h.seen,
    indicator: ind.value,
    indicatorType: ind.type,
    listedPort: ind.port > 0 ? ind.port : null,
    feed: ind.feed,
    feedName: h.feedName(ind.feed),
    category: ind.category,
    description: ind.description || null,
    reference: ind.reference || null,
    feeds: uniq(all.map((i) => i.feed)),
    references: uniq(all.map((i) => i.reference).filter((r) => r !== '')),
    uid: h.uid || null,
    localIp: h.localIp,
    remoteIp: h.remoteIp,
    remotePort: h.remotePort,
    proto: h.proto,
  };
  if (h.query) evidence.query = h.query;
  if (h.direction === 'in') evidence.answered = h.answered;
  return { summary, evidence };
}

/** ", which Feodo Tracker lists as a botnet C2 server (Dridex)" (+ "and 2 other feeds"). */
function listedClause(h: HitContext): string {
  const ind = h.indicator;
  const covered = ind.type === 'cidr' ? ` (in ${ind.value})` : ind.type === 'domain' && ind.value !== h.seen.toLowerCase() ? ` (under ${ind.value})` : '';
  const otherFeeds = uniq(h.others.map((i) => i.feed).filter((f) => f !== ind.feed));
  const more = otherFeeds.length === 0 ? '' : ` and ${otherFeeds.length === 1 ? h.feedName(otherFeeds[0]) : `${otherFeeds.length} other feeds`} also list${otherFeeds.length === 1 ? 's' : ''} it`;
  return `${covered}, which ${h.feedName(ind.feed)} lists as ${listingText(ind)}${more}`;
}

/** Packet time as `2024-02-01 12:00:00 UTC` (the owner's clock may differ; UTC is unambiguous). */
export function timeText(ts: number): string {
  if (!Number.isFinite(ts) || ts <= 0) return 'an unknown time';
  return new Date(Math.floor(ts) * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** Feed text is attacker-adjacent and free-form: one line, bounded (rule 9: store raw, but sentences stay short). */
function cleanDescription(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > 120 ? one.slice(0, 117) + '…' : one;
}

function uniq(a: readonly string[]): string[] {
  return [...new Set(a)];
}
