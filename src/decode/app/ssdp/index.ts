/**
 * SSDP analyzer: one `ssdp` record per NOTIFY, M-SEARCH or search response. SERVER, USN and
 * LOCATION name the device model and firmware, which is what device identification wants.
 * Responses to an M-SEARCH come from the device's port 1900 to the searcher's own port, so they
 * form their own flow; UDP port matching (either side) catches them.
 */
import type { AppAnalyzer, AppAnalyzerFactory, AppSink, ConnInfo } from '../analyzer.js';
import { DatagramAnalyzer } from '../datagram-analyzer.js';
import { looksLikeSsdp, METHOD_MSEARCH, METHOD_NONE, METHOD_NOTIFY, SsdpParser, type SsdpReport } from './parser.js';
import type { SsdpLogRecord } from './types.js';

export const SSDP_PORT = 1900;
/** Non-SSDP datagrams tolerated before an unconfirmed flow is given up. */
const MAX_FAILURES = 4;

class SsdpAnalyzer extends DatagramAnalyzer implements SsdpReport {
  private readonly parser: SsdpParser;

  constructor(conn: ConnInfo, sink: AppSink, parser: SsdpParser) {
    super(conn, sink, MAX_FAILURES);
    this.parser = parser;
  }

  deliver(_isOrig: boolean, buf: Buffer, off: number, len: number, ts: number): void {
    if (this.done) return;
    this.ts = ts;
    const m = this.parser.parse(buf, off, len, this);
    if (m.method === METHOD_NONE) {
      this.failed();
      return;
    }
    this.confirmed = true;
    const f: SsdpLogRecord = {
      method: m.method === METHOD_NOTIFY ? 'NOTIFY' : m.method === METHOD_MSEARCH ? 'M-SEARCH' : 'RESPONSE',
    };
    if (m.server !== undefined) f.server = m.server;
    if (m.usn !== undefined) f.usn = m.usn;
    if (m.location !== undefined) f.location = m.location;
    if (m.nt !== undefined) f.nt = m.nt;
    if (m.nts !== undefined) f.nts = m.nts;
    if (m.st !== undefined) f.st = m.st;
    if (m.userAgent !== undefined) f.user_agent = m.userAgent;
    this.sink.log('ssdp', ts, this.conn, f);
  }
}

export function createSsdpFactory(): AppAnalyzerFactory {
  const parser = new SsdpParser();
  return {
    service: 'ssdp',
    tcp: false,
    udp: true,
    ports: [SSDP_PORT],
    sniff(_isOrig: boolean, buf: Buffer, off: number, len: number): boolean {
      return looksLikeSsdp(buf, off, len);
    },
    create(conn: ConnInfo, sink: AppSink): AppAnalyzer {
      return new SsdpAnalyzer(conn, sink, parser);
    },
  };
}
