/**
 * DNS analyzer (UDP/TCP 53, mDNS 5353, LLMNR 5355) writing Zeek's dns.log.
 *
 * Transactions follow Zeek's `base/protocols/dns/main.zeek`: a query opens a record and waits for
 * the response with the same trans_id on the same flow; a response with no waiting query opens a
 * record of its own and waits for a late query. A record is written when both sides were seen;
 * the rest are written when the flow ends, when they are older than PENDING_TTL of packet time,
 * or when the per-flow table is full. The QR bit, not the direction, says which side a message
 * is: mDNS hosts send queries and announcements on one flow to the multicast group.
 */
import type { AppAnalyzer, AppAnalyzerFactory, AppSink, ConnInfo } from '../analyzer.js';
import { opcodeName, qclassName, qtypeName, rcodeName, OPCODE_NOTIFY, OPCODE_QUERY, OPCODE_UPDATE } from './consts.js';
import { DnsParser, DnsStatus, type DnsMessage, type DnsReport } from './parser.js';
import { DnsTcpFramer, type DnsFrameSink } from './tcp.js';
import type { DnsLogRecord } from './types.js';

export const DNS_PORTS: readonly number[] = [53, 5353, 5355];
const MDNS_PORT = 5353;
/** Unmatched queries and responses kept per flow (Zeek keeps 50 per id and 50 ids). */
export const MAX_PENDING = 64;
/** Seconds of packet time an unmatched message waits for its other half. */
export const PENDING_TTL = 60;
/** Unparseable messages tolerated before an unconfirmed flow is given up as not DNS. */
const MAX_FAILURES = 8;

/** One dns.log row under construction. */
class DnsTxn {
  readonly ts: number;
  readonly transId: number;
  /** True when this entry waits for a response (opened by a query). */
  readonly openedByQuery: boolean;
  rtt: number | undefined = undefined;
  query: string | undefined = undefined;
  qclass: number | undefined = undefined;
  qtype: number | undefined = undefined;
  rcode: number | undefined = undefined;
  AA = false;
  TC = false;
  RD = false;
  RA = false;
  Z = 0;
  answers: string[] | null = null;
  TTLs: number[] | null = null;
  rejected = false;
  opcode = 0;
  sawQuery = false;
  sawReply = false;
  mdnsNames: string[] | null = null;

  constructor(ts: number, transId: number, openedByQuery: boolean) {
    this.ts = ts;
    this.transId = transId;
    this.openedByQuery = openedByQuery;
  }
}

class DnsAnalyzer implements AppAnalyzer, DnsReport, DnsFrameSink {
  confirmed = false;
  done = false;
  private readonly conn: ConnInfo;
  private readonly sink: AppSink;
  private readonly parser: DnsParser;
  private readonly mdns: boolean;
  /** Unmatched entries in arrival order (so roughly by ts). */
  private readonly pending: DnsTxn[] = [];
  private readonly origFramer: DnsTcpFramer | null;
  private readonly respFramer: DnsTcpFramer | null;
  private ts = 0;
  private failures = 0;

  constructor(conn: ConnInfo, sink: AppSink, parser: DnsParser) {
    this.conn = conn;
    this.sink = sink;
    this.parser = parser;
    // A querier on port 5353 asking a unicast DNS server (port 53) is not mDNS.
    this.mdns = conn.respP === MDNS_PORT || (conn.origP === MDNS_PORT && conn.respP !== 53);
    const tcp = conn.proto === 'tcp';
    this.origFramer = tcp ? new DnsTcpFramer(this) : null;
    this.respFramer = tcp ? new DnsTcpFramer(this) : null;
  }

  deliver(isOrig: boolean, buf: Buffer, off: number, len: number, ts: number): void {
    if (this.done) return;
    this.ts = ts;
    if (this.pending.length > 0 && ts - this.pending[0].ts > PENDING_TTL) this.expire(ts);
    const framer = isOrig ? this.origFramer : this.respFramer;
    if (framer === null) {
      this.message(buf, off, len, false);
      return;
    }
    framer.feed(buf, off, len);
    if (framer.lost) this.done = true;
  }

  gap(isOrig: boolean, len: number): void {
    const framer = isOrig ? this.origFramer : this.respFramer;
    if (framer === null) return;
    framer.gap(len);
    if (framer.lost) this.done = true;
  }

  finish(_ts: number): void {
    // Zeek's finalize_dns order: unanswered queries first, then unmatched responses.
    const p = this.pending;
    for (let i = 0; i < p.length; i++) if (p[i].openedByQuery) this.write(p[i]);
    for (let i = 0; i < p.length; i++) if (!p[i].openedByQuery) this.write(p[i]);
    p.length = 0;
  }

  /** DnsReport / DnsFrameSink: parser and framer anomalies, stamped with this flow and time. */
  weird(name: string, addl?: string): void {
    this.sink.weird(name, this.ts, this.conn, addl);
  }

  count(name: string): void {
    this.sink.count(name);
  }

  message(buf: Buffer, off: number, len: number, partial: boolean): void {
    const m = this.parser.parse(buf, off, len, this.mdns, partial, this);
    if (m.status < DnsStatus.Questions) {
      if (!this.confirmed && ++this.failures >= MAX_FAILURES) this.done = true;
      return;
    }
    if (m.status === DnsStatus.Complete || partial) this.confirmed = true;
    // Like Zeek, only these opcodes form transactions; others are recognised but not logged.
    if (m.opcode !== OPCODE_QUERY && m.opcode !== OPCODE_NOTIFY && m.opcode !== OPCODE_UPDATE) return;
    if (m.qr) this.reply(m);
    else this.query(m);
  }

  private query(m: DnsMessage): void {
    let t = this.take(m.id, false);
    if (t === null) {
      t = new DnsTxn(this.ts, m.id, true);
      this.add(t);
    }
    t.opcode = m.opcode;
    if (m.questions > 0) {
      t.RD = m.rd;
      t.TC = m.tc;
      t.Z = m.z;
      t.qclass = m.qclass;
      t.qtype = m.qtype;
      t.query = m.query;
    }
    t.sawQuery = true;
    this.mergeNames(t, m);
    if (t.sawReply) this.emit(t);
  }

  private reply(m: DnsMessage): void {
    let t = this.take(m.id, true);
    if (t === null) {
      t = new DnsTxn(this.ts, m.id, false);
      this.add(t);
    }
    t.opcode = m.opcode;
    t.rcode = m.rcode;
    if (m.rcode !== 0 && m.qdcount === 0) t.rejected = true;
    // Zeek's dns_rejected: a question came back with no records in any section.
    if (m.questions > 0 && m.ancount === 0 && m.nscount === 0 && m.arcount === 0) t.rejected = true;
    if (m.replies > 0) {
      if (t.query === undefined) t.query = m.firstReplyName;
      t.AA = m.aa;
      t.RA = m.ra;
      if (t.rtt === undefined && this.ts !== t.ts) t.rtt = this.ts - t.ts;
      if (m.answers !== null && m.ttls !== null) {
        if (t.answers === null || t.TTLs === null) {
          t.answers = m.answers;
          t.TTLs = m.ttls;
        } else {
          for (let i = 0; i < m.answers.length; i++) {
            t.answers.push(m.answers[i]);
            t.TTLs.push(m.ttls[i]);
          }
        }
      }
    }
    t.sawReply = true;
    this.mergeNames(t, m);
    if (t.sawQuery) this.emit(t);
  }

  private mergeNames(t: DnsTxn, m: DnsMessage): void {
    if (m.names === null) return;
    if (t.mdnsNames === null) {
      t.mdnsNames = m.names;
      return;
    }
    for (const n of m.names) if (!t.mdnsNames.includes(n)) t.mdnsNames.push(n);
  }

  /** Removes and returns the oldest waiting entry with this id opened by the other side. */
  private take(id: number, wantQuery: boolean): DnsTxn | null {
    const p = this.pending;
    for (let i = 0; i < p.length; i++) {
      if (p[i].transId === id && p[i].openedByQuery === wantQuery) return p.splice(i, 1)[0];
    }
    return null;
  }

  private add(t: DnsTxn): void {
    this.pending.push(t);
    if (this.pending.length > MAX_PENDING) {
      this.sink.count('decoder.dns.pending_capped');
      const oldest = this.pending.shift();
      if (oldest !== undefined) this.write(oldest);
    }
  }

  /** Writes an entry that may still be in `pending`. */
  private emit(t: DnsTxn): void {
    const i = this.pending.indexOf(t);
    if (i >= 0) this.pending.splice(i, 1);
    this.write(t);
  }

  private expire(ts: number): void {
    const p = this.pending;
    let n = 0;
    while (n < p.length && ts - p[n].ts > PENDING_TTL) n++;
    const old = p.splice(0, n);
    for (const t of old) this.write(t);
  }

  private write(t: DnsTxn): void {
    // Built in Zeek's column order; optional fields are added only when set.
    const f: DnsLogRecord = { proto: this.conn.proto, trans_id: t.transId } as DnsLogRecord;
    // Rounded to microseconds: pcap and pcapng stamps of the same instant differ in the last bit.
    if (t.rtt !== undefined) f.rtt = Math.round(t.rtt * 1e6) / 1e6;
    if (t.query !== undefined) f.query = t.query;
    if (t.qclass !== undefined) {
      f.qclass = t.qclass;
      f.qclass_name = qclassName(t.qclass);
    }
    if (t.qtype !== undefined) {
      f.qtype = t.qtype;
      f.qtype_name = qtypeName(t.qtype);
    }
    if (t.rcode !== undefined) {
      f.rcode = t.rcode;
      f.rcode_name = rcodeName(t.rcode);
    }
    f.AA = t.AA;
    f.TC = t.TC;
    f.RD = t.RD;
    f.RA = t.RA;
    f.Z = t.Z;
    if (t.answers !== null && t.TTLs !== null) {
      f.answers = t.answers;
      f.TTLs = t.TTLs;
    }
    f.rejected = t.rejected;
    f.opcode = t.opcode;
    f.opcode_name = opcodeName(t.opcode);
    if (t.mdnsNames !== null) f.mdns_names = t.mdnsNames;
    this.sink.log('dns', t.ts, this.conn, f);
  }
}

export function createDnsFactory(): AppAnalyzerFactory {
  // One parser per run: its message object and scratch are reused by every DNS flow.
  const parser = new DnsParser();
  return {
    service: 'dns',
    tcp: true,
    udp: true,
    ports: DNS_PORTS,
    create(conn: ConnInfo, sink: AppSink): AppAnalyzer {
      return new DnsAnalyzer(conn, sink, parser);
    },
  };
}
