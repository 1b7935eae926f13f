/**
 * Runs captures through the real engine in-process and returns what each log received, as
 * parsed Zeek JSON objects. Corpus captures are read in place from ../shared/corpus.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze, type AnalyzeSummary } from '../../src/engine/analyze.js';
import { MemorySink } from '../../src/logs/log-dir.js';
import type { LogFields } from '../../src/decode/app/analyzer.js';
import type { EngineOptions } from '../../src/engine/engine.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root (this file is compiled to dist/test/helpers/). */
export const REPO = resolve(here, '..', '..', '..');
export const CORPUS = resolve(REPO, '..', 'shared', 'corpus');
export const PCAPS = join(CORPUS, 'pcaps');
export const ORACLES = join(CORPUS, 'oracles');

export interface AnalyzeResult {
  logs: Map<string, LogFields[]>;
  summary: AnalyzeSummary;
  /** Records of one log, or [] when there are none. */
  of(path: string): LogFields[];
}

export async function analyzeFile(path: string | string[], engine: Partial<EngineOptions> = {}): Promise<AnalyzeResult> {
  const sink = new MemorySink();
  const summary = await analyze(Array.isArray(path) ? path : [path], sink, { engine });
  return { logs: sink.logs, summary, of: (p) => sink.logs.get(p) ?? [] };
}

/** Absolute path of a corpus capture, e.g. pcap('zeek/dhcp.pcap'). */
export function pcap(rel: string): string {
  return join(PCAPS, rel);
}
