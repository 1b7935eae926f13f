/**
 * Feed state and updates: the one object the sensor and `vigil intel` use to keep threat
 * intelligence fresh.
 *
 *   const feeds = new IntelFeeds({ dir, config: config.intel, log });
 *   let set = feeds.load();                 // last good copies only: no network, works offline
 *   feeds.onSwap((s) => { set = s; });      // a new set after each update that changed something
 *   const stop = feeds.schedule();          // looks every minute; fetches each feed on its cadence
 *
 * An update fetches (or re-reads) each due feed, checks the new copy (it parses, it is not empty,
 * it did not shrink by more than 90 %), keeps it as the feed's last good copy and builds a NEW
 * IndicatorSet from every feed's last good copy; readers keep using the old set until the swap.
 * A failure of any kind keeps the last good copy and records the error for `vigil intel list`.
 *
 * Wall time is used here (cadences, staleness): this is I/O scheduling, not packet analysis.
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { VigilConfig } from '../config/schema.js';
import { VigilError } from '../util/errors.js';
import { IndicatorSet, IndicatorSetBuilder, type IndicatorSetOptions } from './indicator-set.js';
import { detectFormat, parseFeedInto, type IndicatorTarget } from './parse/index.js';
import type { FeedDefaults } from './types.js';
import { CATALOGUE, keyAllowed, type CatalogueFeed } from './catalogue.js';
import { fetchFeed, type FetchOutcome } from './update/fetch.js';
import { eventReader, eventsDir, fetchMispFeed, isMispFeedUrl, stagingDir } from './update/misp-feed.js';
import { maskSecrets } from './update/mask.js';
import { health, nextDue, resolveFeeds, type FeedHealth, type FeedSpec } from './update/spec.js';
import {
  dataPath, ensureDir, metaPath, readMeta, readUserFeeds, writeAtomic, writeMeta, writeUserFeeds,
  type FeedMeta, type UserFeed,
} from './update/state.js';
import { makeUserFeed, type AddFeedInput } from './update/user-feeds.js';

export type { FeedSpec, FeedHealth } from './update/spec.js';
export type { UserFeed, FeedMeta } from './update/state.js';
export type { AddFeedInput } from './update/user-feeds.js';

export interface IntelFeedsOptions {
  /** intel.dir, resolved (`intelDir(config)` gives the default `<dataDir>/intel`). */
  readonly dir: string;
  readonly config: VigilConfig['intel'];
  /** One line per notable event (updates, failures, held-back feeds). Keys are already masked. */
  readonly log?: (line: string) => void;
  /** Injected for tests; Node's built-in fetch otherwise. */
  readonly fetch?: typeof fetch;
  /** Whole-exchange timeout per fetch (default 60 s). */
  readonly timeoutMs?: number;
  /** Largest feed body accepted, in bytes (default 64 MiB); bigger is cut off and fails. */
  readonly maxBytes?: number;
  /** Wall clock in seconds (tests move it forward). */
  readonly now?: () => number;
  /** Cap on indicators in the set (default: the IndicatorSet's, 4 million); the rest are counted as dropped. */
  readonly maxIndicators?: number;
  /** The built-in catalogue; replaced by tests (feeds on a local server) and air-gapped mirrors. */
  readonly catalogue?: readonly CatalogueFeed[];
}

export type UpdateOutcome = 'updated' | 'unchanged' | 'failed' | 'held back' | 'skipped';

export interface FeedUpdate {
  readonly id: string;
  readonly outcome: UpdateOutcome;
  /** Indicators in the copy in use after this update. */
  readonly indicators: number;
  /** Indicators in the copy in use before it. */
  readonly previous: number;
  /** For 'held back': how many the refused copy had. */
  readonly offered: number;
  /** Why it failed / was skipped / was held back, masked; null otherwise. */
  readonly error: string | null;
  /** Body bytes read (a cut-off body: at most the cap plus one chunk). */
  readonly bytes: number;
  /** Whether the new copy was parsed (false for 304, an unchanged file, identical bytes). */
  readonly parsed: boolean;
}

export interface UpdateReport {
  readonly feeds: FeedUpdate[];
  /** A new set was built and handed to the onSwap listeners. */
  readonly swapped: boolean;
  /** Indicators in the set in use after the update. */
  readonly size: number;
}

export interface FeedStatus {
  readonly id: string;
  readonly name: string;
  readonly origin: 'catalogue' | 'user';
  readonly enabled: boolean;
  readonly health: FeedHealth;
  /** Primary URL (key masked) or file path. */
  readonly source: string;
  readonly format: string;
  readonly category: string;
  readonly severity: string;
  readonly everySeconds: number;
  readonly needsKey: boolean;
  /** Counts of the last good copy (0 when there is none). */
  readonly indicators: number;
  readonly malformed: number;
  readonly skipped: number;
  /** Wall seconds; null = never. */
  readonly fetchedAt: number | null;
  readonly successAt: number | null;
  readonly checkedAt: number | null;
  readonly nextDue: number | null;
  readonly error: string | null;
  readonly heldBack: { readonly indicators: number; readonly previous: number; readonly at: number } | null;
  readonly what: string;
  readonly licence: string;
  readonly reference: string;
}

/** Counters (house rule 4): exported to the stats as `intel.<name>`. */
export interface IntelFeedCounters {
  fetches: number;
  notModified: number;
  updated: number;
  failures: number;
  heldBack: number;
  cutOff: number;
  bytes: number;
  parses: number;
  swaps: number;
}

/** A new copy with fewer than this share of the last good copy's indicators is held back. */
export const SHRINK_HOLD_RATIO = 0.1;
export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const USER_AGENT = 'Vigil/0.1 (home network monitor; feed updater)';

export class IntelFeeds {
  readonly dir: string;
  readonly counters: IntelFeedCounters = { fetches: 0, notModified: 0, updated: 0, failures: 0, heldBack: 0, cutOff: 0, bytes: 0, parses: 0, swaps: 0 };
  private readonly config: VigilConfig['intel'];
  private readonly logLine: (line: string) => void;
  private readonly fetchImpl: typeof fetch | undefined;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly clock: () => number;
  private readonly catalogue: readonly CatalogueFeed[];
  private readonly setOptions: IndicatorSetOptions;
  private current: IndicatorSet | null = null;
  /** Signature (mtime:size) of each data file the current set was built from. */
  private builtFrom = new Map<string, string>();
  /** Values the feeds say must never alert (Zeek meta.whitelist, STIX benign), per feed. */
  private readonly feedAllow = new Map<string, string[]>();
  private readonly listeners = new Set<(set: IndicatorSet) => void>();
  /** Updates run one at a time: a scheduled round and a CLI-triggered one never interleave. */
  private queue: Promise<unknown> = Promise.resolve();
  private roundDue: Promise<UpdateReport> | null = null;

  constructor(opts: IntelFeedsOptions) {
    this.dir = opts.dir;
    this.config = opts.config;
    this.logLine = opts.log ?? (() => {});
    this.fetchImpl = opts.fetch;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.clock = opts.now ?? (() => Date.now() / 1000);
    this.catalogue = opts.catalogue ?? CATALOGUE;
    this.setOptions = opts.maxIndicators !== undefined ? { maxIndicators: opts.maxIndicators } : {};
  }

  /** Every feed (catalogue and user-added) as configured right now. */
  specs(): FeedSpec[] {
    return resolveFeeds(this.config, readUserFeeds(this.dir), this.catalogue);
  }

  /** The set in use (loaded from the last good copies on first use). */
  get set(): IndicatorSet {
    return this.current ?? this.load();
  }

  /**
   * Builds the set from every enabled feed's last good copy. No network, no fetch: this is what
   * the sensor does at start, so it matches from the first packet even offline.
   */
  load(): IndicatorSet {
    const builder = new IndicatorSetBuilder(this.setOptions);
    const built = new Map<string, string>();
    for (const spec of this.specs()) {
      if (!spec.enabled) continue;
      const sig = this.parseCopyInto(spec, builder);
      if (sig !== null) built.set(spec.id, sig);
    }
    this.current = builder.finish();
    this.builtFrom = built;
    return this.current;
  }

  /** Calls `cb` with each new set after an update swapped it in; returns an unsubscribe function. */
  onSwap(cb: (set: IndicatorSet) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /**
   * Values the loaded feeds themselves say must never alert (Zeek `meta.whitelist=T`, STIX
   * `benign`): for the AllowList, next to intel.allow. Current as of the last load or swap.
   */
  feedAllowList(): string[] {
    const out: string[] = [];
    for (const [id, values] of this.feedAllow) if (this.builtFrom.has(id)) out.push(...values);
    return out;
  }

  /** Status of every feed for `vigil intel list`. */
  list(now: number = this.clock()): FeedStatus[] {
    return this.specs().map((spec) => {
      const meta = readMeta(this.dir, spec.id, spec.sources[0]);
      const hasData = existsSync(dataPath(this.dir, spec.id));
      const due = nextDue(spec, meta);
      const t = (x: number) => (x > 0 ? x : null);
      return {
        id: spec.id,
        name: spec.name,
        origin: spec.origin,
        enabled: spec.enabled,
        health: health(spec, meta, hasData, now),
        source: this.mask(spec.sources[0]),
        format: spec.format,
        category: spec.category,
        severity: spec.severity,
        everySeconds: spec.everySeconds,
        needsKey: spec.needsKey,
        indicators: hasData ? meta.indicators : 0,
        malformed: hasData ? meta.malformed : 0,
        skipped: hasData ? meta.skipped : 0,
        fetchedAt: hasData ? t(meta.fetchedAt) : null,
        successAt: t(meta.successAt),
        checkedAt: t(meta.checkedAt),
        nextDue: Number.isFinite(due) ? Math.max(due, now) : null,
        error: meta.error,
        heldBack: meta.heldBack,
        what: spec.what,
        licence: spec.licence,
        reference: spec.reference,
      };
    });
  }

  /**
   * Updates the feeds whose cadence is due at `now` (and re-reads changed local files); also
   * picks up copies another process (`vigil intel update`) wrote. Concurrent calls share a round.
   */
  updateDue(now: Date = new Date()): Promise<UpdateReport> {
    if (this.roundDue) return this.roundDue;
    const t = now.getTime() / 1000;
    const run = this.enqueue(async () => {
      if (!this.config.enabled) return { feeds: [], swapped: false, size: this.current?.size ?? 0 };
      const specs = this.specs();
      const due = specs.filter((s) => nextDue(s, readMeta(this.dir, s.id, s.sources[0])) <= t);
      return this.round(specs, due, false, t);
    });
    this.roundDue = run.finally(() => {
      this.roundDue = null;
    });
    return this.roundDue;
  }

  /**
   * Updates now, ignoring cadence: every enabled feed, or the given ids. `force` fetches without
   * validators and accepts a copy that shrank by more than 90 % (the user looked and agrees).
   */
  updateAll(opts: { ids?: readonly string[]; force?: boolean; now?: Date } = {}): Promise<UpdateReport> {
    return this.enqueue(async () => {
      const t = (opts.now ?? new Date()).getTime() / 1000;
      const specs = this.specs();
      let chosen: FeedSpec[];
      if (opts.ids && opts.ids.length > 0) {
        chosen = opts.ids.map((id) => {
          const s = specs.find((x) => x.id === id);
          if (!s) throw new VigilError('VIGIL_ERR_NOT_FOUND', `no feed '${id}'; 'vigil intel list' shows the feed ids.`);
          if (s.needsKey) throw new VigilError('VIGIL_ERR_CONFIG', `feed '${id}' needs the free abuse.ch Auth-Key: set intel.abuseChKey in vigil.yaml (account at https://auth.abuse.ch/).`);
          if (!s.enabled) throw new VigilError('VIGIL_ERR_CONFIG', `feed '${id}' is off; turn it on with intel.enable: [${id}] in vigil.yaml (or remove it from intel.disabled).`);
          return s;
        });
      } else {
        chosen = specs.filter((s) => s.enabled);
      }
      return this.round(specs, chosen, opts.force ?? false, t);
    });
  }

  /** Adds a user feed to feeds.json (not fetched yet: call updateAll({ ids: [feed.id] })). */
  add(input: AddFeedInput): UserFeed {
    const existing = readUserFeeds(this.dir);
    const feed = makeUserFeed(input, existing, this.clock());
    writeUserFeeds(this.dir, [...existing, feed]);
    return feed;
  }

  /** Removes a user feed and its copy; catalogue feeds are turned off with intel.disabled instead. */
  remove(id: string): void {
    const existing = readUserFeeds(this.dir);
    if (!existing.some((f) => f.id === id)) {
      const inCatalogue = this.specs().some((s) => s.id === id);
      throw new VigilError(inCatalogue ? 'VIGIL_ERR_USAGE' : 'VIGIL_ERR_NOT_FOUND', inCatalogue
        ? `'${id}' is a built-in feed; turn it off with intel.disabled: [${id}] in vigil.yaml.`
        : `no added feed '${id}'; 'vigil intel list' shows the feed ids.`);
    }
    writeUserFeeds(this.dir, existing.filter((f) => f.id !== id));
    rmSync(dataPath(this.dir, id), { force: true });
    rmSync(metaPath(this.dir, id), { force: true });
    rmSync(eventsDir(this.dir, id), { recursive: true, force: true });
    rmSync(stagingDir(this.dir, id), { recursive: true, force: true });
  }

  /**
   * Runs updateDue every `everyMs` (default one minute) and once right away; returns a function
   * that stops it. The timer does not keep the process alive.
   */
  schedule(everyMs = 60_000): () => void {
    let stopped = false;
    const tick = () => {
      if (stopped) return;
      this.updateDue(new Date()).catch((e: unknown) => this.logLine(`intel: update round failed: ${this.mask((e as Error).message)}`));
    };
    const timer = setInterval(tick, everyMs);
    timer.unref();
    setImmediate(tick);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }

  // ---------------------------------------------------------------------------------------------

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => {});
    return p;
  }

  private mask(s: string): string {
    return maskSecrets(s, [this.config.abuseChKey]);
  }

  private defaults(spec: FeedSpec): FeedDefaults {
    return { feed: spec.id, category: spec.category, severity: spec.severity, reference: spec.reference };
  }

  /** Parses one copy straight into `target` (no per-indicator objects); returns the counts. */
  private parseInto(spec: FeedSpec, input: Buffer, target: IndicatorTarget, readEvent = this.readEventFor(spec)): { count: number; malformed: number; skipped: number; allow: string[] } {
    this.counters.parses++;
    let bytes = input;
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
      // A gzipped list (a .gz file, or served as application/gzip): inflate within the same cap.
      try {
        bytes = gunzipSync(bytes, { maxOutputLength: this.maxBytes });
      } catch {
        return { count: 0, malformed: 1, skipped: 0, allow: [] };
      }
    }
    const format = spec.format === 'auto' ? detectFormat(bytes, spec.sources[0]) : spec.format;
    const e = parseFeedInto(bytes, format, this.defaults(spec), target, readEvent ? { readEvent } : {});
    return { count: e.count, malformed: e.malformed, skipped: e.skipped, allow: e.allow };
  }

  /** Parses a feed's last good copy into `target`; its signature, or null when there is no copy. */
  private parseCopyInto(spec: FeedSpec, target: IndicatorTarget): string | null {
    const p = dataPath(this.dir, spec.id);
    let bytes: Buffer;
    let sig: string;
    try {
      const st = statSync(p);
      bytes = readFileSync(p);
      sig = `${st.mtimeMs}:${st.size}`;
    } catch {
      return null;
    }
    this.feedAllow.set(spec.id, this.parseInto(spec, bytes, target).allow);
    return sig;
  }

  private signature(id: string): string | null {
    try {
      const st = statSync(dataPath(this.dir, id));
      return `${st.mtimeMs}:${st.size}`;
    } catch {
      return null;
    }
  }

  /** One update round over `chosen`; rebuilds and swaps when any copy in use changed. */
  private async round(specs: readonly FeedSpec[], chosen: readonly FeedSpec[], force: boolean, now: number): Promise<UpdateReport> {
    ensureDir(this.dir);
    const fresh = new Map<string, IndicatorSet>();
    const reports: FeedUpdate[] = [];
    for (const spec of chosen) {
      reports.push(await this.updateOne(spec, force, now, fresh));
    }
    // Rebuild when a copy in use changed: updated here, written by another process, or a feed
    // turned on/off since the set was built.
    let changed = this.current === null || fresh.size > 0;
    const enabled = specs.filter((s) => s.enabled);
    const wanted = new Map<string, string>();
    for (const s of enabled) {
      const sig = this.signature(s.id);
      if (sig !== null) wanted.set(s.id, sig);
    }
    if (wanted.size !== this.builtFrom.size) changed = true;
    for (const [id, sig] of wanted) if (this.builtFrom.get(id) !== sig) changed = true;
    if (!changed) return { feeds: reports, swapped: false, size: this.set.size };
    if (this.current === null && this.listeners.size === 0) {
      // Nobody holds a set (the CLI): building one would only cost seconds. Report the copies' total.
      let size = 0;
      for (const s of enabled) if (wanted.has(s.id)) size += readMeta(this.dir, s.id, s.sources[0]).indicators;
      return { feeds: reports, swapped: false, size };
    }

    // The new set: rows of unchanged feeds copied from the set in use (no re-parse), new copies
    // from their per-feed sets, copies another process wrote parsed from disk.
    const builder = new IndicatorSetBuilder(this.setOptions);
    const built = new Map<string, string>();
    const keep = new Set<string>();
    for (const s of enabled) {
      const sig = wanted.get(s.id);
      if (sig !== undefined && !fresh.has(s.id) && this.current !== null && this.builtFrom.get(s.id) === sig) keep.add(s.id);
    }
    if (this.current !== null && keep.size > 0) {
      builder.addFrom(this.current, (feed) => keep.has(feed));
      for (const id of keep) built.set(id, wanted.get(id) as string);
    }
    for (const s of enabled) {
      const sig = wanted.get(s.id);
      if (sig === undefined || keep.has(s.id)) continue;
      const f = fresh.get(s.id);
      if (f) {
        builder.addFrom(f, () => true);
        built.set(s.id, sig);
      } else {
        const got = this.parseCopyInto(s, builder);
        if (got !== null) built.set(s.id, got);
      }
      // Parsing a big copy blocks: let packets through between feeds.
      await yieldToLoop();
    }
    fresh.clear();
    const set = builder.finish();
    this.current = set;
    this.builtFrom = built;
    this.counters.swaps++;
    for (const cb of this.listeners) {
      try {
        cb(set);
      } catch (e) {
        this.logLine(`intel: a set listener failed: ${(e as Error).message}`);
      }
    }
    this.logLine(`intel: new indicator set in use: ${set.size} indicators from ${built.size} feeds`);
    return { feeds: reports, swapped: true, size: set.size };
  }

  private async updateOne(spec: FeedSpec, force: boolean, now: number, fresh: Map<string, IndicatorSet>): Promise<FeedUpdate> {
    const meta = readMeta(this.dir, spec.id, this.mask(spec.sources[0]));
    const hasData = existsSync(dataPath(this.dir, spec.id));
    const previous = hasData ? meta.indicators : 0;
    const base = { id: spec.id, previous, offered: 0, bytes: 0, parsed: false };
    if (!spec.enabled) {
      return { ...base, outcome: 'skipped', indicators: previous, error: spec.needsKey ? 'needs the abuse.ch key' : 'off' };
    }
    meta.checkedAt = now;

    // 1. Get the new bytes (or learn they did not change).
    const got = spec.kind === 'file'
      ? this.readSource(spec, meta, hasData && !force)
      : spec.format === 'misp' && isMispFeedUrl(spec.sources[0])
        ? await this.fetchMisp(spec, meta, hasData && !force, now)
        : await this.fetchHttp(spec, meta, hasData && !force);
    if (got.kind === 'unchanged') {
      if (spec.kind === 'http') this.counters.notModified++;
      return this.unchanged(meta, base, now);
    }
    if (got.kind === 'failed') {
      const msg = this.mask(got.message);
      meta.error = msg;
      meta.failures++;
      meta.keyProblem = got.keyProblem;
      this.counters.failures++;
      writeMeta(this.dir, spec.id, meta);
      got.discard?.();
      this.logLine(`intel: ${spec.id}: ${msg}${hasData ? ` (keeping the last good copy: ${previous} indicators)` : ''}`);
      return { ...base, outcome: 'failed', indicators: previous, error: msg, bytes: got.bytes };
    }
    const body = got.body;
    base.bytes = got.bytes;

    // 2. Same bytes as the copy we hold (a server without validators): nothing to parse.
    if (hasData && !force && body.byteLength === meta.bytes && sameAsCopy(dataPath(this.dir, spec.id), body)) {
      got.discard?.();
      if (got.etag || got.lastModified) Object.assign(meta, { etag: got.etag, lastModified: got.lastModified });
      meta.sourceMtimeMs = got.sourceMtimeMs;
      meta.sourceSize = got.sourceSize;
      return this.unchanged(meta, base, now);
    }

    // 3. Parse and judge the new copy before it replaces anything, into a set of its own:
    // compact, and the set in use is untouched until the swap.
    const own = new IndicatorSetBuilder(this.setOptions);
    const result = this.parseInto(spec, body, own, got.readEvent);
    base.parsed = true;
    const n = result.count;
    const refuse = (outcome: 'failed' | 'held back', message: string): FeedUpdate => {
      got.discard?.();
      if (outcome === 'failed') {
        meta.error = message;
        meta.failures++;
        this.counters.failures++;
      } else {
        meta.heldBack = { indicators: n, previous, at: now };
        meta.error = null;
        meta.failures = 0;
        this.counters.heldBack++;
      }
      meta.keyProblem = false;
      writeMeta(this.dir, spec.id, meta);
      this.logLine(`intel: ${spec.id}: ${message}${hasData && outcome === 'failed' ? ` (keeping the last good copy: ${previous} indicators)` : ''}`);
      return { ...base, outcome, indicators: previous, offered: outcome === 'held back' ? n : 0, error: message };
    };
    if (n === 0) {
      return refuse('failed', `the new copy has no indicators (${result.malformed > 0 ? `${result.malformed} unreadable entries` : 'empty or not in the expected format'})`);
    }
    if (!force && previous > 0 && n < previous * SHRINK_HOLD_RATIO) {
      return refuse('held back', `the new copy has ${n} indicators, ${Math.round((1 - n / previous) * 100)} % fewer than the ${previous} in use: held back (check the source, then 'vigil intel update --force ${spec.id}' to accept it)`);
    }

    // 4. Keep it: the copy first, then the metadata that describes it.
    try {
      got.commit?.();
      writeAtomic(dataPath(this.dir, spec.id), body);
    } catch (e) {
      got.discard?.();
      meta.error = this.mask(`cannot write the copy under ${this.dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      meta.failures++;
      this.counters.failures++;
      writeMeta(this.dir, spec.id, meta);
      return { ...base, outcome: 'failed', indicators: previous, error: meta.error };
    }
    Object.assign(meta, {
      etag: got.etag,
      lastModified: got.lastModified,
      source: got.source,
      fetchedAt: now,
      successAt: now,
      indicators: n,
      malformed: result.malformed,
      skipped: result.skipped,
      bytes: body.byteLength,
      error: null,
      keyProblem: false,
      failures: 0,
      heldBack: null,
      sourceMtimeMs: got.sourceMtimeMs,
      sourceSize: got.sourceSize,
    });
    writeMeta(this.dir, spec.id, meta);
    fresh.set(spec.id, own.finish());
    this.feedAllow.set(spec.id, result.allow);
    this.counters.updated++;
    this.logLine(`intel: ${spec.id}: updated, ${previous} → ${n} indicators${result.malformed > 0 ? ` (${result.malformed} unreadable entries)` : ''}`);
    return { ...base, outcome: 'updated', indicators: n, error: null };
  }

  private unchanged(meta: FeedMeta, base: { id: string; previous: number; offered: number; bytes: number; parsed: boolean }, now: number): FeedUpdate {
    meta.successAt = now;
    meta.error = null;
    meta.keyProblem = false;
    meta.failures = 0;
    writeMeta(this.dir, base.id, meta);
    return { ...base, outcome: 'unchanged', indicators: base.previous, error: null };
  }

  /** A local file: re-read only when its mtime or size changed. */
  private readSource(spec: FeedSpec, meta: FeedMeta, conditional: boolean): Acquired {
    const source = spec.sources[0];
    const unreadable = (e: unknown): Acquired => ({ kind: 'failed', message: `cannot read ${source} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, bytes: 0, keyProblem: false });
    let st;
    try {
      st = statSync(source);
    } catch (e) {
      return unreadable(e);
    }
    if (conditional && st.mtimeMs === meta.sourceMtimeMs && st.size === meta.sourceSize) return { kind: 'unchanged' };
    if (st.size > this.maxBytes) {
      this.counters.cutOff++;
      return { kind: 'failed', message: `${source} is ${st.size} bytes, over the ${this.maxBytes}-byte cap`, bytes: 0, keyProblem: false };
    }
    let body: Buffer;
    try {
      body = readFileSync(source);
    } catch (e) {
      return unreadable(e);
    }
    return { kind: 'body', body, bytes: body.byteLength, etag: null, lastModified: null, source, sourceMtimeMs: st.mtimeMs, sourceSize: st.size, readEvent: this.readEventFor(spec) };
  }

  /** One feed file over HTTP, trying mirrors after a failure that is not about the key or the size. */
  private async fetchHttp(spec: FeedSpec, meta: FeedMeta, conditional: boolean): Promise<Acquired> {
    let last: Acquired = { kind: 'failed', message: 'no URL', bytes: 0, keyProblem: false };
    for (const src of spec.sources) {
      const url = this.keyedUrl(spec, src);
      // Validators describe the copy we hold; they only make sense for the URL it came from.
      const same = meta.source === this.mask(url);
      const o = await this.get(spec, url, conditional && same ? meta : null, this.maxBytes);
      if (o.kind === 'not-modified') return { kind: 'unchanged' };
      if (o.kind === 'ok') {
        return { kind: 'body', body: o.body, bytes: o.body.byteLength, etag: o.etag, lastModified: o.lastModified, source: this.mask(url), sourceMtimeMs: 0, sourceSize: 0 };
      }
      last = this.fetchFailure(spec, o);
      if (o.error === 'auth' || o.error === 'too-large') break;
    }
    return last;
  }

  private async fetchMisp(spec: FeedSpec, meta: FeedMeta, conditional: boolean, now: number): Promise<Acquired> {
    const url = this.keyedUrl(spec, spec.sources[0]);
    const r = await fetchMispFeed({
      dir: this.dir,
      id: spec.id,
      url,
      get: (u, v, max) => this.get(spec, u, v, max),
      validators: conditional && meta.source === this.mask(url) ? meta : null,
      now,
      maxBytes: this.maxBytes,
    });
    if (r.kind === 'not-modified') return { kind: 'unchanged' };
    if (r.kind === 'error') return this.fetchFailure(spec, r.outcome);
    if (r.missing > 0) this.logLine(`intel: ${spec.id}: ${r.missing} MISP events could not be fetched this time (kept the older copies where there were any)`);
    return {
      kind: 'body', body: r.manifest, bytes: r.bytes, etag: r.etag, lastModified: r.lastModified, source: this.mask(url),
      sourceMtimeMs: 0, sourceSize: 0, readEvent: r.readEvent, commit: r.commit, discard: r.discard,
    };
  }

  private keyedUrl(spec: FeedSpec, src: string): string {
    const key = spec.key !== 'none' ? this.config.abuseChKey.trim() : '';
    const url = new URL(src);
    if (key && spec.keyInQuery && keyAllowed(spec, url.hostname)) url.searchParams.set('auth-key', key);
    return url.toString();
  }

  private get(spec: FeedSpec, url: string, validators: { etag: string | null; lastModified: string | null } | null, maxBytes: number): Promise<FetchOutcome> {
    const key = spec.key !== 'none' ? this.config.abuseChKey.trim() : '';
    this.counters.fetches++;
    return fetchFeed({
      url,
      etag: validators?.etag ?? null,
      lastModified: validators?.lastModified ?? null,
      headers: { 'user-agent': USER_AGENT, accept: '*/*' },
      sensitiveHeaders: key ? { 'auth-key': key } : undefined,
      sensitiveAllowed: (u) => keyAllowed(spec, u.hostname),
      timeoutMs: this.timeoutMs,
      maxBytes,
      fetch: this.fetchImpl,
    }).then((o) => {
      if (o.kind === 'ok') this.counters.bytes += o.body.byteLength;
      else if (o.kind === 'error') this.counters.bytes += o.bytesRead;
      return o;
    });
  }

  private fetchFailure(spec: FeedSpec, o: Extract<FetchOutcome, { kind: 'error' }>): Acquired {
    if (o.error === 'too-large') this.counters.cutOff++;
    if (o.error === 'auth' && spec.key !== 'none') {
      return { kind: 'failed', message: `abuse.ch Auth-Key missing or invalid (HTTP ${o.status}): check intel.abuseChKey`, bytes: o.bytesRead, keyProblem: true };
    }
    return { kind: 'failed', message: o.message, bytes: o.bytesRead, keyProblem: false };
  }

  /** How a MISP feed's events are read: beside a local manifest, or from the fetched copies. */
  private readEventFor(spec: FeedSpec): ((uuid: string) => Buffer | null) | undefined {
    if (spec.format !== 'misp') return undefined;
    return spec.kind === 'file' ? eventReader(dirname(spec.sources[0])) : eventReader(eventsDir(this.dir, spec.id));
  }
}

/** What getting a feed's new copy gave. */
type Acquired =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'failed'; readonly message: string; readonly bytes: number; readonly keyProblem: boolean; readonly discard?: () => void }
  | {
      readonly kind: 'body';
      readonly body: Buffer;
      /** Bytes transferred (a MISP feed: manifest and events). */
      readonly bytes: number;
      readonly etag: string | null;
      readonly lastModified: string | null;
      /** Masked URL or file path. */
      readonly source: string;
      readonly sourceMtimeMs: number;
      readonly sourceSize: number;
      readonly readEvent?: (uuid: string) => Buffer | null;
      readonly commit?: () => void;
      readonly discard?: () => void;
    };

function sameAsCopy(path: string, body: Buffer): boolean {
  try {
    return readFileSync(path).equals(body);
  } catch {
    return false;
  }
}

/** The intel directory a config means: intel.dir, or `<dataDir>/intel`. */
export function intelDir(config: VigilConfig): string {
  return config.intel.dir || join(config.dataDir, 'intel');
}
