/**
 * Feed files on disk → one `IndicatorSet`. Each file is read as bytes and parsed straight into the
 * set's builder (no `Indicator` object per entry), so a few million indicators load in seconds
 * within the memory budget. A file that cannot be read is reported in its result, never thrown:
 * one broken feed must not leave the sensor without the others.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FeedDefaults, FeedFormat, Indicator } from './types.js';
import { IndicatorSet, IndicatorSetBuilder, type IndicatorSetOptions } from './indicator-set.js';
import { detectFormat, parseFeedInto, type FeedParseResult, type ParseOptions } from './parse/index.js';
import type { SkipReason } from './parse/emit.js';

export interface IntelFile {
  /** A feed file, a MISP feed directory (holding `manifest.json`) or a MISP `manifest.json`. */
  readonly path: string;
  /** Omitted or 'auto': guessed from content and name (`detectFormat`). */
  readonly format?: FeedFormat;
  readonly defaults: FeedDefaults;
  readonly options?: ParseOptions;
}

/** A file's result: the parse counters, its format, and why it could not be read when so. */
export interface LoadedFeedResult extends FeedParseResult {
  readonly format: Exclude<FeedFormat, 'auto'> | null;
  /** Set when the file could not be read (missing, unreadable): nothing was loaded from it. */
  readonly error: string | null;
}

export interface LoadedIntel {
  readonly set: IndicatorSet;
  /** By file path, in the order given. `indicators` is materialised from the set on first access. */
  readonly results: Map<string, LoadedFeedResult>;
  /** Values the feeds themselves say must never alert (Zeek `meta.whitelist`, STIX `benign`). */
  readonly allow: string[];
}

export function loadIntelFiles(files: readonly IntelFile[], opts: IndicatorSetOptions = {}): LoadedIntel {
  const builder = new IndicatorSetBuilder(opts);
  const results = new Map<string, LoadedFeedResult>();
  const allow: string[] = [];
  const holder: { set: IndicatorSet | null } = { set: null };
  for (const f of files) {
    const start = builder.size;
    let bytes: Buffer;
    let options = f.options ?? {};
    let path = f.path;
    try {
      if (statSync(path).isDirectory()) path = join(path, 'manifest.json');
      bytes = readFileSync(path);
      if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
    } catch (err) {
      results.set(f.path, failed(f.defaults, err));
      continue;
    }
    if (basename(path) === 'manifest.json' && options.readEvent === undefined) {
      const dir = dirname(path);
      options = { ...options, readEvent: (uuid) => readEventFile(dir, uuid) };
    }
    const format = f.format === undefined || f.format === 'auto' ? detectFormat(bytes, path) : f.format;
    const e = parseFeedInto(bytes, format, f.defaults, builder, options);
    const end = builder.size;
    allow.push(...e.allow);
    results.set(f.path, {
      get indicators(): Indicator[] {
        return holder.set === null ? [] : holder.set.rowsWhere(start, end);
      },
      count: e.count, malformed: e.malformed, skipped: e.skipped, examples: e.examples, skippedBy: e.skippedBy,
      allow: e.allow, header: e.header, format, error: null,
    });
  }
  holder.set = builder.finish();
  return { set: holder.set, results, allow };
}

/** `<uuid>.json` of a MISP feed directory; the uuid is checked so it cannot name another path. */
function readEventFile(dir: string, uuid: string): Buffer | null {
  if (!/^[0-9a-fA-F-]{36}$/.test(uuid)) return null;
  try {
    return readFileSync(join(dir, uuid + '.json'));
  } catch {
    return null;
  }
}

function failed(d: FeedDefaults, err: unknown): LoadedFeedResult {
  const msg = err instanceof Error ? err.message : String(err);
  const skippedBy: Partial<Record<SkipReason, number>> = {};
  return {
    indicators: [], count: 0, malformed: 0, skipped: 0, examples: [], skippedBy, allow: [], header: {},
    format: null, error: 'cannot read the ' + d.feed + ' feed file: ' + msg,
  };
}
