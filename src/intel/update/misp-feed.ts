/**
 * MISP feeds (formats.md §2.9) are a directory, not a file: `manifest.json` (event UUID → summary
 * with a `timestamp`) plus one `<uuid>.json` per event. The updater fetches the manifest
 * conditionally, keeps the most recent events only (a home sensor needs this quarter's
 * indicators, not ten years of OSINT), fetches the events that are new or whose timestamp
 * changed, and reuses the rest from the last good copy.
 *
 * On disk: `<id>.data` is the manifest of the events kept, `<id>.events/<uuid>.json` the events.
 * New event files are staged in `<id>.staging/` until the whole copy is judged good (parses, did
 * not shrink by 90 %), then moved in; a refused copy leaves the last good one untouched.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FetchOutcome } from './fetch.js';
import { writeAtomic } from './state.js';

/** Events older than this (by their date) are not fetched. */
export const MISP_MAX_AGE_DAYS = 90;
/** At most this many events (the newest) per feed. */
export const MISP_MAX_EVENTS = 200;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A MISP feed URL: the directory (ending in '/') or its manifest.json. */
export function isMispFeedUrl(url: string): boolean {
  return /\/$|\/manifest\.json$/i.test(new URL(url).pathname);
}

export function mispBase(url: string): string {
  return url.replace(/manifest\.json$/i, '').replace(/\/?$/, '/');
}

export function eventsDir(dir: string, id: string): string {
  return join(dir, `${id}.events`);
}

export function stagingDir(dir: string, id: string): string {
  return join(dir, `${id}.staging`);
}

/** Reads `<uuid>.json` from the first directory that has it (the uuid is checked: never a path). */
export function eventReader(...dirs: string[]): (uuid: string) => Buffer | null {
  return (uuid: string) => {
    if (!UUID.test(uuid)) return null;
    for (const d of dirs) {
      try {
        return readFileSync(join(d, `${uuid}.json`));
      } catch {
        // not in this one
      }
    }
    return null;
  };
}

export type MispFetchResult =
  | { readonly kind: 'not-modified' }
  | { readonly kind: 'error'; readonly outcome: Extract<FetchOutcome, { kind: 'error' }> }
  | {
      readonly kind: 'ok';
      /** The manifest of the events kept (becomes `<id>.data`). */
      readonly manifest: Buffer;
      readonly etag: string | null;
      readonly lastModified: string | null;
      readonly fetched: number;
      readonly reused: number;
      readonly missing: number;
      readonly tooOld: number;
      readonly bytes: number;
      readonly readEvent: (uuid: string) => Buffer | null;
      /** Moves the staged events in and drops the ones no longer kept. */
      readonly commit: () => void;
      readonly discard: () => void;
    };

export interface MispFetchContext {
  readonly dir: string;
  readonly id: string;
  readonly url: string;
  /** One GET with the updater's timeout and the given size cap. */
  readonly get: (url: string, validators: { etag: string | null; lastModified: string | null } | null, maxBytes: number) => Promise<FetchOutcome>;
  readonly validators: { etag: string | null; lastModified: string | null } | null;
  /** Wall seconds. */
  readonly now: number;
  /** Budget for the whole copy (manifest + events). */
  readonly maxBytes: number;
}

type Summary = Record<string, unknown>;

export async function fetchMispFeed(ctx: MispFetchContext): Promise<MispFetchResult> {
  const base = mispBase(ctx.url);
  const m = await ctx.get(base + 'manifest.json', ctx.validators, ctx.maxBytes);
  if (m.kind === 'not-modified') return { kind: 'not-modified' };
  if (m.kind === 'error') return { kind: 'error', outcome: m };
  let doc: unknown;
  try {
    doc = JSON.parse(m.body.toString('utf8'));
  } catch {
    return { kind: 'error', outcome: { kind: 'error', error: 'http', status: 200, message: 'manifest.json is not JSON: not a MISP feed', bytesRead: m.body.byteLength } };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { kind: 'error', outcome: { kind: 'error', error: 'http', status: 200, message: 'manifest.json is not a MISP feed manifest', bytesRead: m.body.byteLength } };
  }

  // The newest events within the age window.
  const oldest = ctx.now - MISP_MAX_AGE_DAYS * 86400;
  const all = Object.entries(doc as Record<string, unknown>).filter(([uuid, s]) => UUID.test(uuid) && typeof s === 'object' && s !== null) as [string, Summary][];
  const dated = all.map(([uuid, s]) => [uuid, s, eventTime(s)] as const);
  const recent = dated.filter(([, , t]) => t >= oldest).sort((a, b) => b[2] - a[2]).slice(0, MISP_MAX_EVENTS);

  const events = eventsDir(ctx.dir, ctx.id);
  const staging = stagingDir(ctx.dir, ctx.id);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const previous = readPrevious(ctx.dir, ctx.id);
  const kept: Record<string, Summary> = {};
  let fetched = 0;
  let reused = 0;
  let missing = 0;
  let bytes = m.body.byteLength;
  for (const [uuid, summary] of recent) {
    const have = existsSync(join(events, `${uuid}.json`));
    const prev = previous[uuid];
    if (have && prev !== undefined && String(prev.timestamp) === String(summary.timestamp)) {
      kept[uuid] = summary;
      reused++;
      continue;
    }
    const budget = ctx.maxBytes - bytes;
    const got = budget > 0 ? await ctx.get(`${base}${uuid}.json`, null, budget) : null;
    if (got !== null && got.kind === 'error' && got.error === 'auth') {
      rmSync(staging, { recursive: true, force: true });
      return { kind: 'error', outcome: got };
    }
    if (got !== null && got.kind === 'ok') {
      writeAtomic(join(staging, `${uuid}.json`), got.body);
      bytes += got.body.byteLength;
      kept[uuid] = summary;
      fetched++;
    } else {
      missing++;
      // Keep using the copy we have, under its old summary, so the next update tries again.
      if (have && prev !== undefined) kept[uuid] = prev;
    }
  }
  if (recent.length > 0 && missing * 2 > recent.length) {
    rmSync(staging, { recursive: true, force: true });
    return { kind: 'error', outcome: { kind: 'error', error: 'network', status: 0, message: `${missing} of ${recent.length} MISP events could not be fetched`, bytesRead: bytes } };
  }
  return {
    kind: 'ok',
    manifest: Buffer.from(JSON.stringify(kept)),
    // A partial copy must not be confirmed by a 304 next time: without validators the manifest
    // is fetched again and the missing events retried.
    etag: missing > 0 ? null : m.etag,
    lastModified: missing > 0 ? null : m.lastModified,
    fetched,
    reused,
    missing,
    tooOld: all.length - recent.length,
    bytes,
    readEvent: eventReader(staging, events),
    commit: () => {
      mkdirSync(events, { recursive: true });
      for (const f of readdirSync(staging)) renameSync(join(staging, f), join(events, f));
      for (const f of readdirSync(events)) if (!(f.slice(0, -5) in kept)) rmSync(join(events, f), { force: true });
      rmSync(staging, { recursive: true, force: true });
    },
    discard: () => rmSync(staging, { recursive: true, force: true }),
  };
}

/** An event's time for the age window: its date, else its last-change timestamp. */
function eventTime(s: Summary): number {
  if (typeof s.date === 'string') {
    const t = Date.parse(s.date + 'T00:00:00Z');
    if (Number.isFinite(t)) return t / 1000;
  }
  const ts = Number(s.timestamp);
  return Number.isFinite(ts) ? ts : 0;
}

function readPrevious(dir: string, id: string): Record<string, Summary> {
  try {
    const doc = JSON.parse(readFileSync(join(dir, `${id}.data`), 'utf8')) as unknown;
    return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, Summary>) : {};
  } catch {
    return {};
  }
}
