/**
 * Feed parsing entry points. One module per format (this folder); this file only dispatches and
 * guesses formats. Parsers never throw: whatever the input, the result says how many indicators
 * were kept, how many entries were malformed (with up to 5 examples) and how many were skipped on
 * purpose, by reason.
 *
 * - `parseFeed(text, format, defaults)` → `Indicator` objects (small feeds, tests, `intel check`).
 * - `parseFeedInto(input, format, defaults, target)` → straight into an `IndicatorSetBuilder`
 *   without one object per indicator (the updater and `loadIntelFiles`: millions of indicators).
 */
import type { FeedDefaults, FeedFormat } from '../types.js';
import { Emitter, IndicatorCollector, resultOf, type FeedParseResult, type IndicatorTarget, type ParseOptions } from './emit.js';
import type { FeedInput } from './lines.js';
import { parsePlain } from './plain.js';
import { parseFirehol } from './firehol.js';
import { parseHosts } from './hosts.js';
import { parseDomains } from './domains.js';
import { parseAbusechCsv } from './abusech-csv.js';
import { parseZeekIntel } from './zeek-intel.js';
import { parseMaltrail } from './maltrail.js';
import { parseIpsum } from './ipsum.js';
import { parseTorExits } from './tor-exits.js';
import { parseSpamhaus } from './spamhaus.js';
import { parseStix } from './stix.js';
import { parseMisp } from './misp.js';
import { parseMispCsv } from './misp-csv.js';
import { detectFormat } from './detect.js';

export { detectFormat } from './detect.js';
export type { FeedParseResult, ParseOptions, SkipReason, IndicatorTarget, EntryMeta } from './emit.js';
export { canonicalAny } from './emit.js';
export type { FeedInput } from './lines.js';

type Parser = (input: FeedInput, e: Emitter) => void;

const PARSERS: Readonly<Record<Exclude<FeedFormat, 'auto'>, Parser>> = {
  plain: parsePlain,
  firehol: parseFirehol,
  hosts: parseHosts,
  domains: parseDomains,
  'abusech-csv': parseAbusechCsv,
  'zeek-intel': parseZeekIntel,
  maltrail: parseMaltrail,
  ipsum: parseIpsum,
  'tor-exits': parseTorExits,
  spamhaus: parseSpamhaus,
  stix: parseStix,
  misp: parseMisp,
  'misp-csv': parseMispCsv,
};

/** Every concrete format name (for CLI validation and listings). */
export const FEED_FORMATS: readonly Exclude<FeedFormat, 'auto'>[] = Object.keys(PARSERS) as Exclude<FeedFormat, 'auto'>[];

/** Parses a feed into `Indicator` objects. `format: 'auto'` guesses it from the content. */
export function parseFeed(text: FeedInput, format: FeedFormat, defaults: FeedDefaults, options: ParseOptions = {}): FeedParseResult {
  const c = new IndicatorCollector();
  const e = parseFeedInto(text, format, defaults, c, options);
  return resultOf(e, c.indicators);
}

/**
 * Parses a feed straight into `target` (an `IndicatorSetBuilder`); returns the emitter, whose
 * counters (`count`, `malformed`, `skipped`, `skippedBy`, `examples`, `allow`, `header`) describe it.
 */
export function parseFeedInto(input: FeedInput, format: FeedFormat, defaults: FeedDefaults, target: IndicatorTarget, options: ParseOptions = {}): Emitter {
  const e = new Emitter(target, defaults, options);
  let f: FeedFormat = format;
  if (f === 'auto') f = detectFormat(input);
  const parser = PARSERS[f as Exclude<FeedFormat, 'auto'>];
  if (parser === undefined) {
    e.bad('unknown feed format: ' + String(format));
    return e;
  }
  try {
    parser(input, e);
  } catch (err) {
    // A parser bug must not take the sensor down with it: the feed is reported, not fatal.
    e.bad('parser error: ' + (err instanceof Error ? err.message : String(err)));
  }
  return e;
}
