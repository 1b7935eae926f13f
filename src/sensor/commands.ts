/**
 * Requests from the CLI to a running sensor, through the store's command queue (see StoreCommand),
 * and the pid file that tells the CLI whether a sensor is running on a database.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Store } from '../store/store.js';
import type { AcceptSpec } from '../baseline/accept-spec.js';
import type { Baselines } from '../baseline/baselines.js';
import { applyAccept, type AcceptOutcome } from './accept.js';

export const ACCEPT_COMMAND = 'baseline.accept';

export interface AcceptCommand {
  readonly device: string;
  readonly spec: AcceptSpec;
}

function pidFile(dbPath: string): string {
  return `${dbPath}.sensor.pid`;
}

/** Written by `vigil run` at start; removed at stop. */
export function writePidFile(dbPath: string): () => void {
  const f = pidFile(dbPath);
  writeFileSync(f, String(process.pid));
  return () => rmSync(f, { force: true });
}

/** The pid of the live sensor running on this database, or null (no file, or a stale one). */
export function runningSensor(dbPath: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile(dbPath), 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    // EPERM: it exists but belongs to another user (the sensor under systemd): it is running.
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}

/** Applies every pending command (the sensor calls this about once a second). */
export function applyCommands(store: Store, baselines: Baselines, now: number): number {
  const pending = store.pendingCommands();
  for (const c of pending) {
    let result: unknown;
    try {
      if (c.kind === ACCEPT_COMMAND) {
        const body = JSON.parse(c.body) as AcceptCommand;
        result = applyAccept(store, baselines, body.device, body.spec, now);
      } else {
        result = { error: `unknown command '${c.kind}'` };
      }
    } catch (e) {
      result = { error: (e as Error).message };
    }
    store.finishCommand(c.id, JSON.stringify(result));
  }
  return pending.length;
}

/** Queues an acceptance for the running sensor and waits for its answer (or null on timeout). */
export async function acceptThroughSensor(store: Store, cmd: AcceptCommand, timeoutMs = 10_000): Promise<AcceptOutcome | { error: string } | null> {
  const id = store.enqueueCommand(ACCEPT_COMMAND, JSON.stringify(cmd));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const c = store.command(id);
    if (c?.done) return JSON.parse(c.result ?? 'null') as AcceptOutcome | { error: string };
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}
