/**
 * Framing-only loop: reads a capture with the engine's own reader (FileSource -> FrameParser,
 * 4 MiB window, one view per record) and hands every record to a sink that only counts it. No
 * decode, no flows, no output. The benchmark divides the engine's time by this one's to show
 * how much of the engine's cost is reading and framing.
 *
 * Usage: node dist/bench/walk.js FILE [--json]
 */
import { FileSource } from '../src/capture/source.js';
import type { PacketSink } from '../src/capture/packet-sink.js';

class CountingSink implements PacketSink {
  packets = 0;
  capBytes = 0;
  packet(_linktype: number, _buf: Buffer, _off: number, caplen: number): void {
    this.packets++;
    this.capBytes += caplen;
  }
}

async function main(argv: string[]): Promise<number> {
  const file = argv.find((a) => !a.startsWith('--'));
  if (!file) {
    process.stderr.write('usage: node dist/bench/walk.js FILE [--json]\n');
    return 2;
  }
  const sink = new CountingSink();
  const t0 = process.hrtime.bigint();
  const r = await new FileSource(file).run(sink);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const out = { file, packets: sink.packets, capturedBytes: sink.capBytes, fileBytes: r.bytes, seconds, problem: r.problem };
  if (argv.includes('--json')) process.stdout.write(JSON.stringify(out) + '\n');
  else process.stdout.write(`packets=${out.packets} file_bytes=${out.fileBytes} seconds=${seconds.toFixed(3)} ns/packet=${((seconds * 1e9) / Math.max(1, out.packets)).toFixed(1)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`walk: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
