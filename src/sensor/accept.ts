/**
 * "This is normal": applying a baseline acceptance to the store. The baseline learns the item
 * (state `accepted`, never alerted again) and every matching open alert is closed, including ones
 * raised before (retroactively).
 *
 * A running sensor holds the baselines in memory and would write its own state back over an
 * acceptance made by another process; so the CLI leaves the request in the store's command queue
 * and the sensor applies it within a couple of seconds (`Pipeline.applyCommands`). With no sensor
 * running the CLI applies it itself, with the same function.
 */
import { AlertList } from '../alert/alert.js';
import { Baselines } from '../baseline/baselines.js';
import type { AcceptSpec } from '../baseline/accept-spec.js';
import type { Store } from '../store/store.js';
import type { VigilConfig } from '../config/schema.js';
import { displayName } from '../device/device.js';

export interface AcceptOutcome {
  readonly device: string;
  readonly accepted: string[];
  /** Open alerts closed. */
  readonly closed: number;
}

/** The baselines as the store holds them, for status and offline acceptance. */
export function loadBaselines(store: Store, config: VigilConfig): Baselines {
  const names = new Map(store.devices().map((d) => [d.mac, displayName(d)]));
  const b = new Baselines(new AlertList(), {
    learningDays: config.baseline.learningDays,
    maxDevices: config.devices.max,
    maxItemsPerDevice: config.baseline.maxItemsPerDevice,
    maxItemsTotal: config.baseline.maxItems,
    describe: (mac) => names.get(mac) ?? mac,
  });
  b.load(store.baselineItems(), store.baselineProfiles());
  return b;
}

/** Applies an acceptance to `baselines` and the store: persists what changed and closes alerts. */
export function applyAccept(store: Store, baselines: Baselines, device: string, spec: AcceptSpec, ts: number): AcceptOutcome {
  const r = baselines.accept(device, spec, ts);
  const dirty = baselines.drainDirty();
  for (const i of dirty.items) store.putBaselineItem(i);
  for (const p of dirty.profiles) store.putBaselineProfile(p);
  store.flush();
  let closed = 0;
  for (const key of r.keys) closed += store.closeAlerts({ key, reason: 'accepted as normal', ts });
  return { device: r.device, accepted: r.accepted, closed };
}

/** Offline acceptance (no sensor running): load, accept, persist. */
export function acceptDeviation(store: Store, config: VigilConfig, device: string, spec: AcceptSpec): AcceptOutcome {
  const baselines = loadBaselines(store, config);
  const st = baselines.status(device)[0];
  const ts = st ? st.lastSeen : 0;
  return applyAccept(store, baselines, device, spec, ts);
}
