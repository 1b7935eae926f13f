/**
 * Opens what a sensor run needs (store, pipeline) from a validated config, and closes it in the
 * right order. Shared by `vigil run` (live) and `vigil analyze --db` (replay).
 */
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { dbPath } from '../config/load.js';
import type { VigilConfig } from '../config/schema.js';
import type { RecordSink } from '../logs/record-sink.js';
import type { EngineOptions } from '../engine/engine.js';
import { AlertManager } from '../alert/manager.js';
import { Pipeline } from './pipeline.js';
import { IntelFeeds, intelDir } from '../intel/feeds.js';
import { AllowList } from '../intel/allow.js';
import type { IndicatorSet } from '../intel/indicator-set.js';

export interface SessionOptions {
  readonly sinks?: readonly RecordSink[];
  readonly engine?: Partial<EngineOptions>;
  readonly log?: (line: string) => void;
  readonly alerts?: AlertManager;
}

export interface Session {
  readonly pipeline: Pipeline;
  /** The threat-intel feeds (null when `intel.enabled` is off); `vigil run` schedules their updates. */
  readonly feeds: IntelFeeds | null;
  readonly store: Store;
  readonly dbPath: string;
  /** Finishes the pipeline (flushing flows) and closes the store. */
  close(): void;
}

export function storeFor(
  config: VigilConfig,
  log: (line: string) => void = () => {},
  opts: { reader?: boolean } = {},
): { store: Store; path: string; recovered: { movedTo: string; reason: string } | null } {
  const path = dbPath(config);
  const s = config.store;
  const opened = openStore({
    path,
    retention: { flowsDays: s.flowsDays, dnsDays: s.dnsDays, alertsDays: s.alertsDays, maxBytes: s.maxMB * 1024 * 1024 },
    flowBudget: { perSecond: s.flowRowsPerSecond, burst: s.flowRowsBurst },
    dnsBudget: { perSecond: s.dnsRowsPerSecond, burst: s.dnsRowsBurst },
    batchMs: s.commitSeconds * 1000,
    ...(opts.reader ? { quickCheck: false, recover: false } : {}),
    onError: (e) => log(e.message),
  });
  return { store: opened.store, path, recovered: opened.recovered };
}

export function openSession(config: VigilConfig, opts: SessionOptions = {}): Session {
  const log = opts.log ?? (() => {});
  const { store, path, recovered } = storeFor(config, log);
  // Threat intelligence from the feeds' last good copies (no network here: `vigil run` schedules
  // updates, and a new set is swapped in atomically).
  let feeds: IntelFeeds | null = null;
  let intel: { lookup: () => IndicatorSet; allow: AllowList } | null = null;
  if (config.intel.enabled) {
    feeds = new IntelFeeds({
      dir: intelDir(config),
      config: config.intel,
      log: (l) => log(`intel: ${l}`),
      maxIndicators: config.intel.maxIndicators,
      maxBytes: config.intel.maxFeedMB * 1024 * 1024,
      timeoutMs: config.intel.timeoutSeconds * 1000,
    });
    let set = feeds.load();
    feeds.onSwap((s) => {
      set = s;
    });
    const allow = new AllowList([...config.intel.allow, ...feeds.feedAllowList()]);
    intel = { lookup: () => set, allow };
    // An allow-list entry added since the last run also closes what is already stored.
    const closed = allow.applyToStore(store, Date.now() / 1000);
    if (closed > 0) log(`intel: ${closed} stored alert${closed === 1 ? '' : 's'} closed by the allow-list`);
  }
  const pipeline = new Pipeline({
    intel,
    config,
    store,
    ...(opts.sinks ? { sinks: opts.sinks } : {}),
    ...(opts.alerts ? { alerts: opts.alerts } : {}),
    ...(opts.engine ? { engine: opts.engine } : {}),
    log,
  });
  if (recovered) {
    const now = Date.now() / 1000;
    pipeline.alerts.raise({
      ts: now,
      code: 'sensor.store_recovered',
      severity: 'high',
      device: null,
      summary: `The database could not be read (${recovered.reason}); it was moved to ${recovered.movedTo} and a new one was started, so history before now is only in that file.`,
      evidence: { movedTo: recovered.movedTo, reason: recovered.reason },
      key: `sensor.store_recovered|${recovered.movedTo}`,
    });
    log(`database problem: ${recovered.reason}; moved it to ${recovered.movedTo} and started a new one`);
  }
  let closed = false;
  return {
    pipeline,
    feeds,
    store,
    dbPath: path,
    close(): void {
      if (closed) return;
      closed = true;
      pipeline.finish();
      store.close();
    },
  };
}
