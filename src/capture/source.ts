/**
 * Capture sources: where packets come from. A file (plain or gzip), standard input, and later the
 * live helper's pipe all end in the same FrameParser, so the rest of the pipeline cannot tell them
 * apart (DESIGN: one path for data).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { FrameParser, type CaptureFormat } from './frame-parser.js';
import type { PacketSink } from './packet-sink.js';
import { VigilError } from '../util/errors.js';

export interface CaptureResult {
  /** What was read, for messages. */
  readonly name: string;
  readonly format: CaptureFormat | null;
  readonly compressed: boolean;
  /** Bytes of capture data parsed (after decompression). */
  readonly bytes: number;
  readonly records: number;
  readonly truncatedRecords: number;
  readonly linktypes: readonly number[];
  /** Set when the capture is damaged or cut off; everything before the damage was delivered. */
  readonly problem: string | null;
}

export interface ProgressListener {
  (bytesDone: number, bytesTotal: number): void;
}

export interface CaptureSource {
  readonly name: string;
  /** Delivers every packet to `sink`; resolves at end of input. Throws VigilError if not a capture. */
  run(sink: PacketSink, progress?: ProgressListener): Promise<CaptureResult>;
}

function result(name: string, p: FrameParser, compressed: boolean): CaptureResult {
  if (p.notCapture) {
    throw new VigilError('VIGIL_ERR_CAPTURE_FORMAT', `${name}: ${p.notCapture}. Give a pcap or pcapng file (optionally gzip-compressed).`);
  }
  return {
    name,
    format: p.format,
    compressed,
    bytes: p.base + p.start,
    records: p.records,
    truncatedRecords: p.truncatedRecords,
    linktypes: [...p.linktypes],
    problem: p.problem,
  };
}

/** A capture file on disk; gzip is detected from its first bytes, not its name. */
export class FileSource implements CaptureSource {
  constructor(readonly name: string) {}

  async run(sink: PacketSink, progress?: ProgressListener): Promise<CaptureResult> {
    let fd: number;
    try {
      fd = openSync(this.name, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(code);
      throw new VigilError('VIGIL_ERR_CAPTURE_OPEN', `${this.name}: cannot open (${why}).`);
    }
    try {
      const st = fstatSync(fd);
      if (st.isDirectory()) throw new VigilError('VIGIL_ERR_CAPTURE_OPEN', `${this.name}: is a directory, not a capture file.`);
      const head = Buffer.alloc(2);
      const n = readSync(fd, head, 0, 2, 0);
      if (n === 2 && head[0] === 0x1f && head[1] === 0x8b) {
        const { createReadStream } = await import('node:fs');
        const stream = createReadStream('', { fd, autoClose: false }).pipe(createGunzip());
        return await pumpStream(this.name, stream, sink, true, progress, st.size);
      }
      // Plain file: read straight into the parser's window, no intermediate copies.
      const p = new FrameParser(sink);
      const total = st.size;
      let pos = 0;
      let lastReport = 0;
      while (!p.stopped) {
        const room = p.prepareFill();
        const got = readSync(fd, p.buf, p.end, room, pos);
        if (got === 0) break;
        pos += got;
        p.end += got;
        p.parse();
        if (progress && pos - lastReport >= 16 * 1024 * 1024) {
          lastReport = pos;
          progress(pos, total);
        }
      }
      p.finish();
      if (progress) progress(pos, total);
      return result(this.name, p, false);
    } finally {
      closeSync(fd);
    }
  }
}

/** Standard input (`-`): `tcpdump -w - | vigil analyze -`. Gzip is detected here too. */
export class StreamSource implements CaptureSource {
  constructor(readonly name: string, private readonly stream: Readable) {}

  async run(sink: PacketSink, progress?: ProgressListener): Promise<CaptureResult> {
    const first = await firstChunk(this.stream);
    if (first && first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b) {
      const gunzip = createGunzip();
      this.stream.pipe(gunzip);
      gunzip.write(first);
      return pumpStream(this.name, gunzip, sink, true, progress, 0);
    }
    return pumpStream(this.name, this.stream, sink, false, progress, 0, first);
  }
}

async function firstChunk(stream: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const onReadable = () => {
      const c = stream.read() as Buffer | null;
      if (c !== null) {
        cleanup();
        resolve(c);
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const cleanup = () => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

async function pumpStream(
  name: string,
  stream: Readable,
  sink: PacketSink,
  compressed: boolean,
  progress: ProgressListener | undefined,
  total: number,
  first: Buffer | null = null,
): Promise<CaptureResult> {
  const p = new FrameParser(sink);
  let done = 0;
  let lastReport = 0;
  if (first) {
    p.push(first);
    done += first.length;
  }
  try {
    for await (const chunk of stream) {
      if (p.stopped) break;
      p.push(chunk as Buffer);
      done += (chunk as Buffer).length;
      if (progress && done - lastReport >= 16 * 1024 * 1024) {
        lastReport = done;
        progress(done, total);
      }
    }
  } catch (e) {
    // A corrupt gzip member or a broken pipe: keep what was parsed, report the damage.
    p.finish();
    const r = result(name, p, compressed);
    const why = (e as Error).message;
    return { ...r, problem: r.problem ?? `reading stopped early: ${why}` };
  }
  p.finish();
  return result(name, p, compressed);
}

export function openSource(name: string): CaptureSource {
  if (name === '-') return new StreamSource('standard input', process.stdin);
  return new FileSource(name);
}
