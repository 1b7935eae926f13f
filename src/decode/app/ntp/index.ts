/**
 * NTP analyzer (UDP 123): one ntp.log record per datagram, Zeek's fields. Control (mode 6) and
 * private (mode 7) messages are logged with their opcode / request code only: they matter because
 * they are the NTP amplification vectors (mode 7 request 42 is `monlist`).
 */
import type { AppAnalyzer, AppAnalyzerFactory, AppSink, ConnInfo } from '../analyzer.js';
import { parseNtp } from './parser.js';

export type { NtpRecord } from './types.js';
export { parseNtp } from './parser.js';

class NtpAnalyzer implements AppAnalyzer {
  confirmed: boolean;
  done: boolean;
  private readonly conn: ConnInfo;
  private readonly sink: AppSink;

  constructor(conn: ConnInfo, sink: AppSink) {
    this.confirmed = false;
    this.done = false;
    this.conn = conn;
    this.sink = sink;
  }

  deliver(_isOrig: boolean, buf: Buffer, off: number, len: number, ts: number): void {
    if (this.done) return;
    const r = parseNtp(buf, off, len);
    if (!r.ok) {
      this.sink.weird(r.error, ts, this.conn);
      // Before anything looked like NTP, one bad datagram means this is not NTP: stop looking.
      if (!this.confirmed) this.done = true;
      return;
    }
    if (r.weird !== '') this.sink.weird(r.weird, ts, this.conn);
    if (r.extsCapped) this.sink.count('decoder.ntp.extensions_capped');
    if (r.rec.mode >= 6) this.sink.count(r.rec.mode === 6 ? 'decoder.ntp.mode6' : 'decoder.ntp.mode7');
    this.confirmed = true;
    this.sink.log('ntp', ts, this.conn, r.rec as unknown as Record<string, unknown>);
  }

  gap(_isOrig: boolean, _len: number): void {
    // UDP: no streams, no gaps.
  }

  finish(_ts: number): void {
    this.done = true;
  }
}

export function createNtpFactory(): AppAnalyzerFactory {
  return {
    service: 'ntp',
    tcp: false,
    udp: true,
    ports: [123],
    create(conn: ConnInfo, sink: AppSink): AppAnalyzer {
      return new NtpAnalyzer(conn, sink);
    },
  };
}
