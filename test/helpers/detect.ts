/**
 * Runs captures through the sensor's pipeline without a database (as `vigil analyze` does) and
 * returns the alerts, aggregated by key as the store would. Detector tests use this.
 */
import { loadConfig } from '../../src/config/load.js';
import { Pipeline } from '../../src/sensor/pipeline.js';
import { AlertManager } from '../../src/alert/manager.js';
import { AlertDigest, type DigestEntry } from '../../src/alert/digest.js';
import { feed } from '../../src/engine/analyze.js';
import type { IntelLookup } from '../../src/intel/types.js';
import { AllowList } from '../../src/intel/allow.js';
import { MemorySink } from '../../src/logs/log-dir.js';
import type { LogFields } from '../../src/decode/app/analyzer.js';
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePcap, type Frame } from './pcap-writer.js';

export interface DetectResult {
  readonly alerts: DigestEntry[];
  readonly pipeline: Pipeline;
  /** Alerts with this code (or code prefix ending in '.'). */
  of(code: string): DigestEntry[];
  /** Records of one log (conn, dns, ftp_login …) the run produced. */
  log(path: string): LogFields[];
}

export interface DetectOptions {
  /** Config overrides by dotted key, e.g. `{ 'detect.portscan.ports': 10 }`. */
  readonly config?: Record<string, unknown>;
  /** Threat intel to match against (e.g. an IndicatorSet loaded from corpus/intel). */
  readonly intel?: IntelLookup;
}

export async function detectFile(paths: string | readonly string[], opts: DetectOptions = {}): Promise<DetectResult> {
  // A config file of the machine running the tests must not change results: read none.
  const { config } = loadConfig('/dev/null', opts.config ?? {});
  const digest = new AlertDigest();
  const alerts = new AlertManager({ maxPerMinute: 1_000_000 }).toStore((a) => digest.add(a));
  const sink = new MemorySink();
  const intel = opts.intel;
  const pipeline = new Pipeline({
    config,
    store: null,
    alerts,
    sinks: [sink],
    engine: { maxFlows: 262_144 },
    ...(intel ? { intel: { lookup: () => intel, allow: new AllowList([]) } } : {}),
  });
  await feed(pipeline.engine, typeof paths === 'string' ? [paths] : paths);
  pipeline.finish();
  const list = digest.entries();
  return {
    alerts: list,
    pipeline,
    of: (code) => list.filter((a) => (code.endsWith('.') ? a.code.startsWith(code) : a.code === code)),
    log: (p) => sink.logs.get(p) ?? [],
  };
}

/**
 * A temporary folder for a test file's synthetic captures, removed after the file's tests (kept
 * with KEEP=1): `const file = captureFiles('vigil-x-'); detectFile(file(frames))`.
 */
export function captureFiles(prefix: string): (frames: readonly Frame[]) => string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => {
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;
  return (frames) => {
    const p = join(dir, `c${n++}.pcap`);
    writePcap(p, frames);
    return p;
  };
}
