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
import { zeekConnLine, zeekJsonLine } from './zeek-json.js';
import type { ConnRecord } from '../flow/conn-record.js';
import { ecsDocument } from './ecs.js';
import { VigilError } from '../util/errors.js';

export type LogFormat = 'zeek' | 'ecs';

const BUFFER_SIZE = 1 << 20;

/** Buffer's unchecked encoder (public since Node 0.x, untyped): skips write()'s argument juggling. */
interface FastWrite {
  utf8Write(s: string, offset: number): number;
}

/**
 * One output file with a byte buffer. Each line is encoded into the buffer as soon as it is
 * built: holding many small strings until a flush would keep them alive through young-generation
 * collections (promotion, then costly old-generation GC) and make the final join flatten them.
 */
class LogFile {
  fd = -1;
  readonly buf = Buffer.allocUnsafe(BUFFER_SIZE);
  pos = 0;
  lines = 0;
  constructor(readonly file: string) {}
}

export class LogDirectory implements RecordSink {
  readonly #dir: string;
  readonly #format: LogFormat;
  readonly #files = new Map<string, LogFile>();
  readonly #only: Set<string> | null;
  readonly #observer = hostname();
  readonly #ecs: boolean;
  #connFile: LogFile | null = null;

  constructor(dir: string, format: LogFormat, only: readonly string[] | null = null) {
    this.#dir = dir;
    this.#format = format;
    this.#ecs = format === 'ecs';
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
    const line = this.#format === 'ecs' ? JSON.stringify(ecsDocument(path, ts, conn, fields, this.#observer)) + '\n' : zeekJsonLine(ts, conn, fields);
    this.#write(this.#file(path), line);
  }

  conn(r: ConnRecord): void {
    // One record per flow: the most frequent call, so its file is looked up once.
    let f = this.#connFile;
    if (f === null) {
      if (this.#only !== null && !this.#only.has('conn')) return;
      f = this.#connFile = this.#file('conn');
    }
    this.#write(f, this.#ecs ? JSON.stringify(ecsDocument('conn', r.ts, r.connInfo(), r.toFields(), this.#observer)) + '\n' : zeekConnLine(r));
  }

  #file(path: string): LogFile {
    let f = this.#files.get(path);
    if (!f) {
      f = new LogFile(join(this.#dir, this.#format === 'ecs' ? `${path}.ndjson` : `${path}.log`));
      this.#files.set(path, f);
    }
    return f;
  }

  #write(f: LogFile, line: string): void {
    // A UTF-16 code unit becomes at most 3 UTF-8 bytes.
    if (f.pos + line.length * 3 > f.buf.length) {
      this.#flush(f);
      if (line.length * 3 > f.buf.length) {
        this.#writeOut(f, Buffer.from(line, 'utf8'));
        f.lines++;
        return;
      }
    }
    f.pos += (f.buf as unknown as FastWrite).utf8Write(line, f.pos);
    f.lines++;
  }

  #flush(f: LogFile): void {
    if (f.pos === 0) return;
    this.#writeOut(f, f.buf.subarray(0, f.pos));
    f.pos = 0;
  }

  #writeOut(f: LogFile, data: Buffer): void {
    try {
      if (f.fd < 0) f.fd = openSync(f.file, 'w');
      let off = 0;
      while (off < data.length) off += writeSync(f.fd, data, off, data.length - off);
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
  conn(r: ConnRecord): void {
    this.record('conn', r.ts, r.connInfo(), r.toFields());
  }
}
