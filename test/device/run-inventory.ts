/**
 * Runs captures through the real engine into a DeviceInventory (the inventory is the engine's
 * RecordSink), then flushes the alerts still waiting, as the pipeline does at end of input.
 */
import { AlertList, type Alert } from '../../src/alert/alert.js';
import { DeviceInventory, type DeviceInventoryOptions } from '../../src/device/inventory.js';
import { analyze } from '../../src/engine/analyze.js';

export interface InventoryRun {
  inv: DeviceInventory;
  alerts: Alert[];
  counters: Map<string, number>;
}

/** A fresh inventory (grace off unless given) fed with `paths`. */
export async function inventoryOf(paths: string | string[], opts: DeviceInventoryOptions = {}): Promise<InventoryRun> {
  const alerts = new AlertList();
  const counters = new Map<string, number>();
  const inv = new DeviceInventory(alerts, {
    newDeviceGraceSeconds: 0,
    counters: (name, n = 1) => counters.set(name, (counters.get(name) ?? 0) + n),
    ...opts,
  });
  await feed(inv, paths);
  return { inv, alerts: alerts.alerts, counters };
}

/** Replays more captures into an existing inventory (a later day, a second run). */
export async function feed(inv: DeviceInventory, paths: string | string[]): Promise<void> {
  await analyze(Array.isArray(paths) ? paths : [paths], inv);
  inv.flush();
}
