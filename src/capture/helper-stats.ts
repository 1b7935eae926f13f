/**
 * What the capture helper says on its standard error: that it is listening, its own packet
 * counters, and the reason it died. tcpdump prints its counters on exit and, on Linux, whenever it
 * gets SIGUSR1 (tcpdump's SIGNAL_REQ_INFO); dumpcap prints them on exit only (it ignores SIGUSR1),
 * so for dumpcap the interface counters in /sys are the periodic source.
 *
 * Verified against tcpdump 4.99.3 / libpcap 1.10.3 and dumpcap 4.0.17:
 *   tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes
 *   tcpdump: 4 packets captured, 4 packets received by filter, 0 packets dropped by kernel   (SIGUSR1)
 *   10 packets captured \n 10 packets received by filter \n 0 packets dropped by kernel      (exit)
 *   Capturing on 'Loopback: lo'
 *   Packets received/dropped on interface 'Loopback: lo': 20/0 (pcap:0/dumpcap:0/flushed:0/ps_ifdrop:0) (100.0%)
 */

export type CaptureHelper = 'tcpdump' | 'dumpcap';

/** The helper's own counters for one run (each run starts from zero). */
export interface HelperCounts {
  /** Packets the helper wrote to its output. */
  captured: number;
  /** Packets that passed the filter, including those then dropped (libpcap's ps_recv on Linux). */
  received: number;
  /** Dropped for lack of buffer space in the kernel or the helper (ps_drop). */
  dropped: number;
  /** Dropped by the interface/driver (ps_ifdrop), when the helper reports it. */
  ifDropped: number;
}

const TCPDUMP_CAPTURED = /(\d+) packets? captured/;
const TCPDUMP_RECEIVED = /(\d+) packets? received by filter/;
const TCPDUMP_DROPPED = /(\d+) packets? dropped by kernel/;
const TCPDUMP_IFDROPPED = /(\d+) packets? dropped by interface/;
const DUMPCAP_CAPTURED = /Packets captured: (\d+)/;
const DUMPCAP_RECV_DROP = /Packets received\/dropped on interface .*: (\d+)\/(\d+) \(pcap:(\d+)\/dumpcap:(\d+)\/flushed:(\d+)\/ps_ifdrop:(\d+)\)/;

/**
 * Reads one line of helper output into `into`; returns true when it held counters. Fields a line
 * does not mention are left alone (tcpdump's exit report spreads them over several lines).
 */
export function parseHelperStatsLine(helper: CaptureHelper, line: string, into: HelperCounts): boolean {
  if (helper === 'tcpdump') {
    const captured = firstNumber(TCPDUMP_CAPTURED, line);
    const received = firstNumber(TCPDUMP_RECEIVED, line);
    const dropped = firstNumber(TCPDUMP_DROPPED, line);
    const ifDropped = firstNumber(TCPDUMP_IFDROPPED, line);
    if (captured !== null) into.captured = captured;
    if (received !== null) into.received = received;
    if (dropped !== null) into.dropped = dropped;
    if (ifDropped !== null) into.ifDropped = ifDropped;
    return captured !== null || received !== null || dropped !== null || ifDropped !== null;
  }
  const captured = firstNumber(DUMPCAP_CAPTURED, line);
  if (captured !== null) into.captured = captured;
  const m = DUMPCAP_RECV_DROP.exec(line);
  if (m) {
    into.received = Number(m[1]);
    // pcap: kernel/libpcap drops; dumpcap: its own queue; flushed: lost at a forced flush.
    into.dropped = Number(m[3]) + Number(m[4]) + Number(m[5]);
    into.ifDropped = Number(m[6]);
  }
  return captured !== null || m !== null;
}

function firstNumber(re: RegExp, line: string): number | null {
  const m = re.exec(line);
  return m ? Number(m[1]) : null;
}

/** Whether the helper has opened the interface and is capturing. */
export function isListeningLine(helper: CaptureHelper, line: string): boolean {
  return helper === 'tcpdump' ? line.includes('listening on ') : line.startsWith('Capturing on ');
}

/**
 * The helper's standard error for one run: a bounded tail for messages, the listening flag and
 * the latest counters. Output is line-based and small (a few lines per stats request).
 */
export class HelperStderr {
  /** Set once the helper printed that it listens. */
  listening = false;
  /** Latest counters; `reported` says whether the helper printed any yet. */
  readonly counts: HelperCounts = { captured: 0, received: 0, dropped: 0, ifDropped: 0 };
  reported = false;
  #tail = '';
  #partial = '';
  readonly #maxTail: number;
  readonly #onListening: (() => void) | null;

  constructor(readonly helper: CaptureHelper, onListening: (() => void) | null = null, maxTail = 4096) {
    this.#maxTail = maxTail;
    this.#onListening = onListening;
  }

  push(text: string): void {
    this.#tail += text;
    if (this.#tail.length > this.#maxTail) this.#tail = this.#tail.slice(this.#tail.length - this.#maxTail);
    // A line longer than the tail cap is garbage for our purposes: keep the cap on it as well.
    const buf = (this.#partial + text).slice(-this.#maxTail);
    const lines = buf.split(/\r\n|\n|\r/);
    this.#partial = lines.pop() ?? '';
    for (const l of lines) this.#line(l);
  }

  /** Call when the stream ended: a last line without a newline still counts. */
  end(): void {
    if (this.#partial) this.#line(this.#partial);
    this.#partial = '';
  }

  #line(line: string): void {
    if (!this.listening && isListeningLine(this.helper, line)) {
      this.listening = true;
      this.#onListening?.();
    }
    if (parseHelperStatsLine(this.helper, line, this.counts)) this.reported = true;
  }

  /** The last bytes the helper printed, trimmed, for events and error messages. */
  get tail(): string {
    return this.#tail.trim();
  }

  /** The lines that explain a failure: the tail without the listening banner and counters. */
  get reason(): string {
    const lines = this.#tail
      .split(/\r\n|\n|\r/)
      .map((l) => l.trim())
      .filter((l) => l && !isListeningLine(this.helper, l) && !parseHelperStatsLine(this.helper, l, { captured: 0, received: 0, dropped: 0, ifDropped: 0 }) && l !== 'File: -');
    return lines.slice(-3).join(' ');
  }
}
