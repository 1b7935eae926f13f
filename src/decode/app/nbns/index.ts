/**
 * NetBIOS name service analyzer (UDP 137): one `netbios` record per message, so that device
 * identification sees every name a Windows/Samba host registers, queries or reports.
 *
 * Zeek logs these in dns.log (its DNS analyzer also runs on 137); we keep them apart because the
 * names are not domain names and the suffix byte matters (`<00>` workstation, `<20>` file server,
 * `<1d>` master browser).
 */
import type { AppAnalyzer, AppAnalyzerFactory, AppSink, ConnInfo } from '../analyzer.js';
import { DatagramAnalyzer } from '../datagram-analyzer.js';
import { NbnsParser, TYPE_NB, TYPE_NBSTAT, type NbnsReport } from './parser.js';
import type { NetbiosLogRecord } from './types.js';

export const NBNS_PORT = 137;
/** Unparseable datagrams tolerated before an unconfirmed flow is given up. */
const MAX_FAILURES = 4;

const OPCODE_NAMES: Record<number, string> = {
  0: 'netbios-query',
  5: 'netbios-registration',
  6: 'netbios-release',
  7: 'netbios-wack',
  8: 'netbios-refresh',
  // Windows refreshes with 9 (RFC 1002's 8 is seldom seen); 15 is its multi-homed registration.
  9: 'netbios-refresh',
  15: 'netbios-multihomed-registration',
};

const RCODE_NAMES: readonly string[] = ['NOERROR', 'FMT_ERR', 'SRV_ERR', 'NAM_ERR', 'IMP_ERR', 'RFS_ERR', 'ACT_ERR', 'CFT_ERR'];

export function netbiosOpcodeName(o: number): string {
  return OPCODE_NAMES[o] ?? 'netbios-opcode-' + o;
}

function typeName(t: number): string {
  if (t === TYPE_NB) return 'NB';
  if (t === TYPE_NBSTAT) return 'NBSTAT';
  return 'type-' + t;
}

class NbnsAnalyzer extends DatagramAnalyzer implements NbnsReport {
  private readonly parser: NbnsParser;

  constructor(conn: ConnInfo, sink: AppSink, parser: NbnsParser) {
    super(conn, sink, MAX_FAILURES);
    this.parser = parser;
  }

  deliver(_isOrig: boolean, buf: Buffer, off: number, len: number, ts: number): void {
    if (this.done) return;
    this.ts = ts;
    const m = this.parser.parse(buf, off, len, this);
    if (!m.ok || !m.hasName) {
      this.failed();
      return;
    }
    this.confirmed = true;
    const f: NetbiosLogRecord = {
      trans_id: m.id,
      name: m.name,
      suffix: m.suffix,
      qtype_name: typeName(m.type),
      opcode: m.opcode,
      opcode_name: netbiosOpcodeName(m.opcode),
      is_response: m.response,
      broadcast: m.broadcast,
    };
    if (m.response) {
      f.rcode = m.rcode;
      f.rcode_name = RCODE_NAMES[m.rcode] ?? 'rcode-' + m.rcode;
    }
    if (m.answers !== null) f.answers = m.answers;
    if (m.nbstatNames !== null) f.nbstat_names = m.nbstatNames;
    if (m.mac !== '') f.mac = m.mac;
    this.sink.log('netbios', ts, this.conn, f);
  }
}

export function createNbnsFactory(): AppAnalyzerFactory {
  const parser = new NbnsParser();
  return {
    service: 'netbios-ns',
    tcp: false,
    udp: true,
    ports: [NBNS_PORT],
    create(conn: ConnInfo, sink: AppSink): AppAnalyzer {
      return new NbnsAnalyzer(conn, sink, parser);
    },
  };
}
