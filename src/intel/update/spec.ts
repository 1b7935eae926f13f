/**
 * One view of every feed, whether it comes from the catalogue or from the user, with whether it
 * is on, when it is next due and how healthy it is. Pure functions of (catalogue, feeds.json,
 * config, metadata, now): the CLI and the sensor see the same answers.
 */
import type { VigilConfig } from '../../config/schema.js';
import { CATALOGUE, type CatalogueFeed } from '../catalogue.js';
import type { FeedMeta, UserFeed } from './state.js';

/** What a feed is and how it is fetched: the catalogue's own fields, for user feeds too. */
export interface FeedSpec
  extends Pick<CatalogueFeed, 'format' | 'category' | 'severity' | 'everySeconds' | 'minEverySeconds' | 'key' | 'keyInQuery' | 'keyHosts'> {
  readonly id: string;
  readonly name: string;
  readonly origin: 'catalogue' | 'user';
  readonly kind: 'http' | 'file';
  /** http(s) URLs (primary first, then mirrors) or one absolute file path. */
  readonly sources: readonly string[];
  readonly what: string;
  readonly licence: string;
  readonly reference: string;
  /** On by catalogue default / config / (for user feeds) unless disabled. */
  readonly enabled: boolean;
  /** On (or wanted) but cannot be fetched: it needs the abuse.ch key and none is set. */
  readonly needsKey: boolean;
}

/** How often a local file is looked at (a stat: cheap). */
export const FILE_CHECK_SECONDS = 60;
/** Politeness floor for user-added URLs. */
export const USER_MIN_EVERY_SECONDS = 300;
export const USER_DEFAULT_EVERY_SECONDS = 6 * 3600;
/** Not successfully updated for this many intervals = stale. */
export const STALE_INTERVALS = 3;
/** First retry after a failure; doubles per consecutive failure, bounded by the feed's interval. */
export const RETRY_BASE_SECONDS = 300;

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

export function resolveFeeds(config: VigilConfig['intel'], user: readonly UserFeed[], catalogue: readonly CatalogueFeed[] = CATALOGUE): FeedSpec[] {
  const disabled = new Set(config.disabled);
  const enable = new Set(config.enable);
  const hasKey = config.abuseChKey.trim() !== '';
  const out: FeedSpec[] = [];
  for (const c of catalogue) {
    const wanted = !disabled.has(c.id) && (c.defaultOn === 'on' || enable.has(c.id) || (c.defaultOn === 'key' && hasKey));
    const needsKey = c.key === 'required' && !hasKey && !disabled.has(c.id);
    out.push({
      id: c.id,
      name: c.name,
      origin: 'catalogue',
      kind: 'http',
      sources: c.urls,
      format: c.format,
      category: c.category,
      severity: c.severity,
      everySeconds: c.everySeconds,
      minEverySeconds: c.minEverySeconds,
      key: c.key,
      keyInQuery: c.keyInQuery,
      keyHosts: c.keyHosts,
      what: c.what,
      licence: c.licence,
      reference: c.reference,
      enabled: wanted && !needsKey,
      needsKey,
    });
  }
  for (const u of user) {
    const http = isUrl(u.source);
    out.push({
      id: u.id,
      name: u.name,
      origin: 'user',
      kind: http ? 'http' : 'file',
      sources: [u.source],
      format: u.format,
      category: u.category,
      severity: u.severity,
      everySeconds: http ? Math.max(u.everySeconds, USER_MIN_EVERY_SECONDS) : FILE_CHECK_SECONDS,
      minEverySeconds: http ? USER_MIN_EVERY_SECONDS : 0,
      // The abuse.ch key belongs to the catalogue's abuse.ch feeds only: a user URL never gets it.
      key: 'none',
      keyInQuery: false,
      what: http ? 'added by URL' : 'local file',
      licence: '',
      reference: http ? u.source : '',
      enabled: !disabled.has(u.id),
      needsKey: false,
    });
  }
  return out;
}

/** When a feed should next be looked at (wall seconds); Infinity = not scheduled. */
export function nextDue(spec: FeedSpec, meta: FeedMeta): number {
  if (!spec.enabled) return Infinity;
  if (meta.checkedAt === 0) return 0;
  if (spec.kind === 'file') return meta.checkedAt + spec.everySeconds;
  if (meta.failures > 0) {
    // Back off from a failing server, yet never faster than the provider allows nor slower than usual.
    const backoff = Math.min(spec.everySeconds, RETRY_BASE_SECONDS * 2 ** Math.min(meta.failures - 1, 20));
    return meta.checkedAt + Math.max(spec.minEverySeconds, backoff);
  }
  return meta.checkedAt + spec.everySeconds;
}

export type FeedHealth = 'ok' | 'stale' | 'held back' | 'failing' | 'needs key' | 'pending' | 'off';

export function health(spec: FeedSpec, meta: FeedMeta, hasData: boolean, now: number): FeedHealth {
  if (spec.needsKey || (spec.enabled && meta.keyProblem)) return 'needs key';
  if (!spec.enabled) return 'off';
  if (meta.heldBack) return 'held back';
  // A local file does not go stale by itself: it is as fresh as its owner keeps it.
  if (spec.kind === 'http' && hasData && meta.successAt > 0 && now - meta.successAt > STALE_INTERVALS * spec.everySeconds) return 'stale';
  if (meta.error !== null) return 'failing';
  if (!hasData) return meta.checkedAt === 0 ? 'pending' : 'failing';
  return 'ok';
}
