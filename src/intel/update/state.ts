/**
 * What the updater keeps on disk under `intel.dir` (default `<dataDir>/intel`):
 *
 *   feeds.json          feeds the user added (`vigil intel add`)
 *   <id>.data           the feed's last good copy, exactly as fetched (or read)
 *   <id>.meta.json      its metadata: validators, times, counts, last error, held-back flag
 *
 * Every write goes to a temporary file that is flushed and renamed over the old one, so a crash,
 * a full disk or the CLI updating while the sensor runs never leaves half a file: a reader sees
 * the old copy or the new one.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Severity } from '../../alert/alert.js';
import type { FeedFormat, IntelCategory } from '../types.js';
import { VigilError } from '../../util/errors.js';

/** A feed the user added; `source` is an http(s) URL or an absolute file path. */
export interface UserFeed {
  readonly id: string;
  readonly name: string;
  readonly source: string;
  readonly format: FeedFormat;
  readonly category: IntelCategory;
  readonly severity: Severity;
  readonly everySeconds: number;
  /** Wall time (seconds since the epoch) it was added. */
  readonly addedAt: number;
}

/** What the updater remembers about one feed. Times are wall-clock seconds since the epoch. */
export interface FeedMeta {
  /** Validators of the last good copy (sent back as If-None-Match / If-Modified-Since). */
  etag: string | null;
  lastModified: string | null;
  /** Where the last good copy came from (URL with any key masked, or the file path). */
  source: string;
  /** When the last good copy was written. */
  fetchedAt: number;
  /** Last attempt, whatever its outcome. */
  checkedAt: number;
  /** Last successful check: new data or confirmed unchanged (304, same mtime). */
  successAt: number;
  /** Counts of the last good copy. */
  indicators: number;
  malformed: number;
  skipped: number;
  bytes: number;
  /** Last attempt's error (masked), or null when it succeeded. */
  error: string | null;
  /** The error said the key is missing or invalid (401/403 on a key feed). */
  keyProblem: boolean;
  /** Consecutive failed attempts (drives the retry back-off). */
  failures: number;
  /** A newer copy was refused because it shrank by more than 90 %. */
  heldBack: { indicators: number; at: number; previous: number } | null;
  /** For local files: the mtime and size the last good copy was read at. */
  sourceMtimeMs: number;
  sourceSize: number;
}

export function emptyMeta(source: string): FeedMeta {
  return {
    etag: null,
    lastModified: null,
    source,
    fetchedAt: 0,
    checkedAt: 0,
    successAt: 0,
    indicators: 0,
    malformed: 0,
    skipped: 0,
    bytes: 0,
    error: null,
    keyProblem: false,
    failures: 0,
    heldBack: null,
    sourceMtimeMs: 0,
    sourceSize: 0,
  };
}

export const FEEDS_FILE = 'feeds.json';

export function dataPath(dir: string, id: string): string {
  return join(dir, `${id}.data`);
}

export function metaPath(dir: string, id: string): string {
  return join(dir, `${id}.meta.json`);
}

export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
  } catch (e) {
    throw new VigilError('VIGIL_ERR_OUTPUT', `cannot create the intel directory ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check intel.dir / --data-dir and its permissions.`);
  }
}

/** Writes `data` to `path` through a flushed temporary file and a rename (atomic on POSIX). */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o640);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

export function readMeta(dir: string, id: string, source: string): FeedMeta {
  const p = metaPath(dir, id);
  if (!existsSync(p)) return emptyMeta(source);
  try {
    const raw = JSON.parse(readFileSync(p, 'utf8')) as Partial<FeedMeta>;
    // Unknown or missing fields take their defaults: an older file never breaks a newer Vigil.
    return { ...emptyMeta(source), ...raw };
  } catch {
    // A damaged metadata file only costs the validators: the next fetch is unconditional.
    return emptyMeta(source);
  }
}

export function writeMeta(dir: string, id: string, meta: FeedMeta): void {
  writeAtomic(metaPath(dir, id), JSON.stringify(meta, null, 2) + '\n');
}

export function readUserFeeds(dir: string): UserFeed[] {
  const p = join(dir, FEEDS_FILE);
  if (!existsSync(p)) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new VigilError('VIGIL_ERR_CONFIG', `${p} is not valid JSON (${(e as Error).message}); fix it or remove it and add the feeds again with 'vigil intel add'.`);
  }
  const feeds = (raw as { feeds?: unknown }).feeds;
  if (!Array.isArray(feeds)) {
    throw new VigilError('VIGIL_ERR_CONFIG', `${p} must hold {"feeds": [...]}; fix it or remove it and add the feeds again with 'vigil intel add'.`);
  }
  return feeds as UserFeed[];
}

export function writeUserFeeds(dir: string, feeds: readonly UserFeed[]): void {
  ensureDir(dir);
  writeAtomic(join(dir, FEEDS_FILE), JSON.stringify({ version: 1, feeds }, null, 2) + '\n');
}
