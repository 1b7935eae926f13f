/**
 * Writes records as files in a directory: `<path>.log` (Zeek JSON lines) or `<path>.ndjson`
 * (ECS). Lines are batched and written with one system call per 1 MiB, so logging costs a string
 * build per record and almost nothing per packet.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';
import type { RecordSink } from './record-sink.js';
import { zeekJsonLine } from './zeek-json.js';
import { ecsDocument } from './ecs.js';
import { VigilError } from '../util/errors.js';

export type LogFormat = 'zeek' | 'ecs';

const FLUSH_AT = 1 << 20;

class LogFile {
  fd = -1;
  parts: string[] = [];
  size = 0;
  lines = 0;
  constructor(readonly file: string) {}
}

export class LogDirectory implements RecordSink {
  readonly #dir: string;
  readonly #format: LogFormat;
  readonly #files = new Map<string, LogFile>();
  readonly #only: Set<string> | null;
  readonly #observer = hostname();

  constructor(dir: string, format: LogFormat, only: readonly string[] | null = null) {
    this.#dir = dir;
    this.#format = format;
    this.#only = only ? new Set(only) : null;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new VigilError('VIGIL_ERR_OUTPUT', `cannot create the output directory ${dir} (${(e as NodeJS.ErrnoException).code}); choose another with -o.`);
    }
  }

  wants(path: string): boolean {
    return this.#only === null || this.#only.has(path);
  }

  record(path: string, ts: number, conn: ConnInfo | null, fields: LogFields): void {
    let f = this.#files.get(path);
    if (!f) {
      f = new LogFile(join(this.#dir, this.#format === 'ecs' ? `${path}.ndjson` : `${path}.log`));
      this.#files.set(path, f);
    }
    const line = this.#format === 'ecs' ? JSON.stringify(ecsDocument(path, ts, conn, fields, this.#observer)) + '\n' : zeekJsonLine(ts, conn, fields);
    f.parts.push(line);
    f.size += line.length;
    f.lines++;
    if (f.size >= FLUSH_AT) this.#flush(f);
  }

  #flush(f: LogFile): void {
    if (f.parts.length === 0) return;
    const data = f.parts.join('');
    f.parts = [];
    f.size = 0;
    try {
      if (f.fd < 0) f.fd = openSync(f.file, 'w');
      writeSync(f.fd, data);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const hint = code === 'ENOSPC' ? 'the disk is full; free space or choose another directory with -o' : 'check the directory with -o';
      throw new VigilError('VIGIL_ERR_OUTPUT', `cannot write ${f.file} (${code}): ${hint}.`);
    }
  }

  /** Lines written per log path. */
  counts(): Map<string, number> {
    const m = new Map<string, number>();
    for (const [k, f] of this.#files) m.set(k, f.lines);
    return m;
  }

  close(): void {
    for (const f of this.#files.values()) {
      this.#flush(f);
      if (f.fd >= 0) closeSync(f.fd);
      f.fd = -1;
    }
  }
}

/** Keeps records in memory, for tests and for library callers. */
export class MemorySink implements RecordSink {
  readonly logs = new Map<string, LogFields[]>();
  wants(): boolean {
    return true;
  }
  record(path: string, ts: number, conn: ConnInfo | null, fields: LogFields): void {
    let list = this.logs.get(path);
    if (!list) {
      list = [];
      this.logs.set(path, list);
    }
    // The same shape as a parsed Zeek JSON line: what tests compare against oracles.
    list.push(JSON.parse(zeekJsonLine(ts, conn, fields)) as LogFields);
  }
}
