/**
 * `vigil intel add FILE|URL`: checking what the user typed and turning it into a UserFeed with a
 * safe, unique id. The id names files under intel.dir, so it is a slug, never a path.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Severity } from '../../alert/alert.js';
import { SEVERITIES } from '../../alert/alert.js';
import { parseDuration } from '../../cli/table.js';
import { VigilError } from '../../util/errors.js';
import { catalogueFeed } from '../catalogue.js';
import type { FeedFormat, IntelCategory } from '../types.js';
import { USER_DEFAULT_EVERY_SECONDS, USER_MIN_EVERY_SECONDS, isUrl } from './spec.js';
import type { UserFeed } from './state.js';

// Records (not arrays) so the compiler says so when the contract gains a format or a category.
const FORMATS: Record<FeedFormat, true> = {
  auto: true, plain: true, firehol: true, hosts: true, domains: true, 'abusech-csv': true,
  'zeek-intel': true, maltrail: true, ipsum: true, 'tor-exits': true, spamhaus: true, stix: true,
  misp: true, 'misp-csv': true,
};
const CATEGORY_SEVERITY: Record<IntelCategory, Severity> = {
  c2: 'high',
  malware: 'high',
  phishing: 'medium',
  scanner: 'low',
  tor: 'low',
  hostile: 'medium',
  privacy: 'info',
  suspicious: 'medium',
};

export const FEED_FORMATS = Object.keys(FORMATS) as FeedFormat[];
export const CATEGORIES = Object.keys(CATEGORY_SEVERITY) as IntelCategory[];
/** At most this many user feeds (each one is a file, a schedule and memory). */
export const MAX_USER_FEEDS = 100;

export interface AddFeedInput {
  /** An http(s) URL, a file:// URL or a path to a local file. */
  readonly source: string;
  readonly format?: string;
  readonly category?: string;
  readonly severity?: string;
  readonly name?: string;
  /** e.g. `6h`, `30m`, `1d` (URLs only; local files are looked at every minute). */
  readonly every?: string;
}

const ID_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function isValidFeedId(id: string): boolean {
  return ID_RE.test(id);
}

function slug(s: string): string {
  return s.toLowerCase().replace(/\.[a-z0-9]{1,8}$/, '').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || 'feed';
}

function usage(msg: string): never {
  throw new VigilError('VIGIL_ERR_USAGE', msg);
}

/** Builds the new UserFeed (not yet saved); `existing` are the user feeds already in feeds.json. */
export function makeUserFeed(input: AddFeedInput, existing: readonly UserFeed[], now: number): UserFeed {
  if (existing.length >= MAX_USER_FEEDS) usage(`there are already ${existing.length} added feeds (at most ${MAX_USER_FEEDS}); remove some with 'vigil intel remove ID'.`);
  let source = input.source.trim();
  if (source === '') usage(`give a file or an http(s) URL, e.g. vigil intel add /etc/vigil/my-list.txt.`);
  if (/^file:\/\//i.test(source)) source = fileURLToPath(source);
  const http = isUrl(source);
  if (!http) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) usage(`only http(s) URLs and local files can be feeds, not ${source.split(':')[0]}.`);
    source = resolve(source);
    if (!existsSync(source)) throw new VigilError('VIGIL_ERR_NOT_FOUND', `no file ${source}; check the path (feeds are read in place and re-read when the file changes).`);
    if (!statSync(source).isFile()) usage(`${source} is not a regular file; give the list file itself.`);
  } else {
    try {
      new URL(source);
    } catch {
      usage(`${source} is not a valid URL.`);
    }
  }
  const dup = existing.find((f) => f.source === source);
  if (dup) usage(`${source} is already a feed (id ${dup.id}); 'vigil intel list' shows it.`);

  const format = (input.format ?? 'auto') as FeedFormat;
  if (!FORMATS[format]) usage(`unknown format '${input.format}'; one of ${FEED_FORMATS.join(', ')}.`);
  const category = (input.category ?? 'suspicious') as IntelCategory;
  if (!(category in CATEGORY_SEVERITY)) usage(`unknown category '${input.category}'; one of ${CATEGORIES.join(', ')}.`);
  const severity = (input.severity ?? CATEGORY_SEVERITY[category]) as Severity;
  if (!SEVERITIES.includes(severity)) usage(`unknown severity '${input.severity}'; one of ${SEVERITIES.join(', ')}.`);
  let everySeconds = USER_DEFAULT_EVERY_SECONDS;
  if (input.every !== undefined) {
    const s = parseDuration(input.every);
    if (s === null || s <= 0) usage(`--every takes a duration such as 30m, 6h or 1d, not '${input.every}'.`);
    if (http && s < USER_MIN_EVERY_SECONDS) usage(`--every ${input.every} is too often: at most every ${USER_MIN_EVERY_SECONDS / 60} minutes, to be polite to the server.`);
    everySeconds = Math.round(s);
  }

  const name = (input.name ?? '').trim() || (http ? new URL(source).hostname + new URL(source).pathname.replace(/\/$/, '') : basename(source));
  const base = slug(input.name?.trim() || (http ? basename(new URL(source).pathname) || new URL(source).hostname : basename(source)));
  const taken = (id: string) => catalogueFeed(id) !== undefined || existing.some((f) => f.id === id);
  let id = base;
  for (let n = 2; taken(id); n++) id = `${base}-${n}`;
  return { id, name: name.slice(0, 120), source, format, category, severity, everySeconds, addedAt: Math.floor(now) };
}
