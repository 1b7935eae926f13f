/**
 * Runs captures through one engine: `vigil analyze`, the tests and the benchmark all use this.
 */
import { Engine, type EngineOptions } from './engine.js';
import { openSource, type CaptureResult, type ProgressListener } from '../capture/source.js';
import { createAnalyzers } from '../decode/app/registry.js';
import type { RecordSink } from '../logs/record-sink.js';

export interface AnalyzeOptions {
  engine?: Partial<EngineOptions>;
  progress?: (file: string) => ProgressListener | undefined;
}

export interface AnalyzeSummary {
  files: CaptureResult[];
  seconds: number;
  packets: number;
  bytes: number;
  flows: number;
  counters: Record<string, number>;
  weirds: Record<string, number>;
  services: Record<string, number>;
  unsupportedLinktypes: Record<string, number>;
  nonIpEthertypes: Record<string, number>;
  otherIpProtocols: Record<string, number>;
}

export async function analyze(paths: readonly string[], sink: RecordSink, opts: AnalyzeOptions = {}): Promise<AnalyzeSummary> {
  const engine = new Engine(createAnalyzers(), sink, opts.engine);
  const started = process.hrtime.bigint();
  const files = await feed(engine, paths, opts.progress);
  engine.finish();
  return summarize(engine, files, Number(process.hrtime.bigint() - started) / 1e9);
}

/** Reads every capture into `engine` (without finishing it: the caller decides when input ends). */
export async function feed(
  engine: Engine,
  paths: readonly string[],
  progress?: (file: string) => ProgressListener | undefined,
): Promise<CaptureResult[]> {
  const files: CaptureResult[] = [];
  for (const p of paths) {
    const src = openSource(p);
    files.push(await src.run(engine, progress?.(p)));
  }
  return files;
}

/** What an engine saw, for the summary and `--json`. */
export function summarize(engine: Engine, files: CaptureResult[], seconds: number): AnalyzeSummary {
  const obj = <K>(m: Map<K, number>, name: (k: K) => string = String): Record<string, number> => {
    const o: Record<string, number> = {};
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1])) o[name(k)] = v;
    return o;
  };
  return {
    files,
    seconds,
    packets: engine.counters.packets,
    bytes: engine.counters.bytes,
    flows: engine.table.created,
    counters: engine.counters.snapshot(),
    weirds: obj(engine.weirdCounts),
    services: obj(engine.serviceCounts),
    unsupportedLinktypes: obj(engine.unsupportedLinktypes),
    nonIpEthertypes: obj(engine.nonIpEthertypes, (k) => (k === 0 ? '802.3/llc' : '0x' + k.toString(16).padStart(4, '0'))),
    otherIpProtocols: obj(engine.ipProtoCounts),
  };
}
