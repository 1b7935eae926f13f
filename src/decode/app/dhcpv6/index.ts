/**
 * DHCPv6 analyzer (UDP 546/547): one `dhcpv6` row per message, on the flow that carried it.
 *
 * Unlike DHCPv4 there is no cross-flow join: DHCPv6 clients send from their link-local address,
 * so a SOLICIT/ADVERTISE/REQUEST/REPLY exchange mostly stays on one or two flows, and the client
 * DUID + trans_id in every row let consumers join rows themselves.
 */
import type { AppAnalyzer, AppAnalyzerFactory, AppSink, ConnInfo } from '../analyzer.js';
import { Dhcpv6Parser, ParseResult } from './parser.js';

export type { Dhcpv6LogRecord } from './types.js';

class Dhcpv6Analyzer implements AppAnalyzer {
  confirmed = false;
  done = false;
  private readonly conn: ConnInfo;
  private readonly sink: AppSink;
  private readonly parser: Dhcpv6Parser;

  constructor(conn: ConnInfo, sink: AppSink, parser: Dhcpv6Parser) {
    this.conn = conn;
    this.sink = sink;
    this.parser = parser;
  }

  deliver(_isOrig: boolean, buf: Buffer, off: number, len: number, ts: number): void {
    if (this.done) return;
    const p = this.parser;
    if (p.parse(buf, off, len) !== ParseResult.Ok) {
      this.sink.weird(p.weird, ts, this.conn);
      // Something else on a DHCPv6 port: stop after the first bad datagram unless DHCPv6 was seen.
      if (!this.confirmed) this.done = true;
      return;
    }
    if (p.weird !== '') this.sink.weird(p.weird, ts, this.conn);
    else this.confirmed = true;
    if (p.optionsCapped) this.sink.count('decoder.dhcpv6.options_capped');
    if (p.listCapped) this.sink.count('decoder.dhcpv6.list_capped');
    if (p.relayCapped) this.sink.count('decoder.dhcpv6.relay_depth_capped');
    this.sink.log('dhcpv6', ts, this.conn, p.record());
  }

  gap(_isOrig: boolean, _len: number): void {
    // UDP only: nothing to resynchronise.
  }

  finish(_ts: number): void {
    // Nothing pending: every message is logged when it arrives.
  }
}

class Dhcpv6Factory implements AppAnalyzerFactory {
  readonly service = 'dhcpv6';
  readonly tcp = false;
  readonly udp = true;
  readonly ports: readonly number[] = [546, 547];
  readonly clientPorts: readonly number[] = [546];
  /** One parser for all flows: analyzers run one datagram at a time. */
  private readonly parser = new Dhcpv6Parser();

  create(conn: ConnInfo, sink: AppSink): AppAnalyzer {
    return new Dhcpv6Analyzer(conn, sink, this.parser);
  }
}

export function createDhcpv6Factory(): AppAnalyzerFactory {
  return new Dhcpv6Factory();
}
