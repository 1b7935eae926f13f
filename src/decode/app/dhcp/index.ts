/**
 * DHCPv4 analyzer (UDP 67/68, and 4011 as Zeek does for proxyDHCP).
 *
 * Each flow's analyzer only parses datagrams; the factory owns the cross-flow transaction table
 * that turns messages into dhcp.log rows (see transactions.ts), so one factory per engine run.
 */
import type { AppAnalyzer, AppAnalyzerFactory, AppSink, ConnInfo } from '../analyzer.js';
import { DhcpMessage, ParseResult, parseDhcp } from './parser.js';
import { DhcpTransactions } from './transactions.js';
import type { DhcpOptions } from './types.js';

export type { DhcpLogRecord, DhcpOptions } from './types.js';
export { DHCP_DEFAULTS } from './transactions.js';

class DhcpAnalyzer implements AppAnalyzer {
  confirmed = false;
  done = false;
  private readonly conn: ConnInfo;
  private readonly sink: AppSink;
  private readonly table: DhcpTransactions;
  private readonly msg: DhcpMessage;

  constructor(conn: ConnInfo, sink: AppSink, table: DhcpTransactions, msg: DhcpMessage) {
    this.conn = conn;
    this.sink = sink;
    this.table = table;
    this.msg = msg;
  }

  deliver(isOrig: boolean, buf: Buffer, off: number, len: number, ts: number): void {
    if (this.done) return;
    const m = this.msg;
    const r = parseDhcp(buf, off, len, m);
    if (r !== ParseResult.Ok) {
      this.sink.weird(m.weird, ts, this.conn);
      // Something else on a DHCP port: stop after the first bad datagram unless DHCP was seen.
      if (!this.confirmed) this.done = true;
      return;
    }
    if (m.weird !== '') this.sink.weird(m.weird, ts, this.conn);
    if (m.optionsCapped) this.sink.count('decoder.dhcp.options_capped');
    this.confirmed = true;
    this.table.add(m, buf, isOrig ? this.conn.origH : this.conn.respH, this.conn, this.sink, ts);
  }

  gap(_isOrig: boolean, _len: number): void {
    // UDP only: nothing to resynchronise.
  }

  finish(_ts: number): void {
    // Transactions outlive flows; the factory's tick/flush write them.
  }
}

class DhcpFactory implements AppAnalyzerFactory {
  readonly service = 'dhcp';
  readonly tcp = false;
  readonly udp = true;
  readonly ports: readonly number[] = [67, 68, 4011];
  readonly clientPorts: readonly number[] = [68];
  private readonly table: DhcpTransactions;
  /** One parse target shared by all flows: analyzers run one datagram at a time. */
  private readonly msg = new DhcpMessage();

  constructor(opts: DhcpOptions) {
    this.table = new DhcpTransactions(opts);
  }

  create(conn: ConnInfo, sink: AppSink): AppAnalyzer {
    return new DhcpAnalyzer(conn, sink, this.table, this.msg);
  }

  tick(ts: number): void {
    this.table.tick(ts);
  }

  flush(_ts: number): void {
    this.table.flush();
  }
}

export function createDhcpFactory(opts: DhcpOptions = {}): AppAnalyzerFactory {
  return new DhcpFactory(opts);
}
