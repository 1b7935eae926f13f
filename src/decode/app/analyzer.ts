/**
 * The contract between the flow engine and application-layer analyzers.
 *
 * The engine owns packets, flows and TCP stream ordering. An analyzer sees only payload bytes of
 * one flow: whole UDP datagrams, or TCP stream bytes delivered in order (retransmissions trimmed,
 * out-of-order segments held back in a bounded buffer, holes reported through `gap`). It never
 * sees a packet it did not ask for, and it never throws: bad bytes become `sink.weird(...)`.
 *
 * Analyzers emit log records through the sink. A record's fields use Zeek's field names where Zeek
 * has one; the sink prepends `ts`, `uid` and the `id.*` 4-tuple, so analyzers never repeat them.
 * Buffers handed to `deliver` are views into a reused capture buffer: copy what must outlive the
 * call (e.g. `buf.toString('latin1', a, b)` for a name, or `Buffer.from(buf.subarray(a, b))`).
 */

/** Identity of the connection an analyzer works on; built once per analyzed flow. */
export interface ConnInfo {
  /** Zeek-style connection id, e.g. `CHhAvVGS1DHFjwGM9`. */
  readonly uid: string;
  readonly origH: string;
  readonly origP: number;
  readonly respH: string;
  readonly respP: number;
  readonly proto: 'tcp' | 'udp';
  /** Source MAC of the originator's first frame (`aa:bb:cc:dd:ee:ff`), or '' on non-Ethernet links. */
  readonly origMac: string;
  /** Source MAC of the responder's first frame, or '' when unknown. */
  readonly respMac: string;
}

/** A log record body: Zeek field names as keys; unset fields are simply absent (or `undefined`). */
export type LogFields = Record<string, unknown>;

export interface AppSink {
  /**
   * Writes one record to log `path` (`dns`, `ssl`, `http` …). `conn` adds `uid` and `id.*`; pass
   * `null` for records that span flows (dhcp.log lists its `uids` itself).
   */
  log(path: string, ts: number, conn: ConnInfo | null, fields: LogFields): void;
  /** A named anomaly (Zeek `weird`), e.g. `dns_name_too_long`. Counted and logged to weird.log. */
  weird(name: string, ts: number, conn: ConnInfo | null, addl?: string): void;
  /** Bumps a dotted counter, e.g. `decoder.dns.answers_capped`. */
  count(name: string, n?: number): void;
}

export interface AppAnalyzer {
  /**
   * Payload bytes in one direction (`isOrig` = from the originator). For UDP one call per
   * datagram; for TCP, the next in-order stream bytes (may split or join application messages).
   */
  deliver(isOrig: boolean, buf: Buffer, off: number, len: number, ts: number): void;
  /** TCP only: `len` bytes are missing from this direction's stream (loss or capture cut). */
  gap(isOrig: boolean, len: number): void;
  /** The flow ended (FIN/RST, idle timeout, eviction or end of input): flush what is pending. */
  finish(ts: number): void;
  /**
   * True once the bytes were recognised as this protocol (Zeek's "confirmation"): the engine
   * then lists the analyzer's `service` in conn.log.
   */
  readonly confirmed: boolean;
  /** True when the analyzer wants no more bytes (done, or gave up): the engine stops delivering. */
  readonly done: boolean;
}

export interface AppAnalyzerFactory {
  /** Analyzer name, also the `service` value in conn.log (`dns`, `ssl`, `http`, `ssh` …). */
  readonly service: string;
  readonly tcp: boolean;
  readonly udp: boolean;
  /** Well-known ports: a flow whose responder (or, for UDP, either) port is listed gets this analyzer. */
  readonly ports: readonly number[];
  /**
   * Ports in `ports` that belong to the client side (DHCP 68, DHCPv6 546): they attach the
   * analyzer but are never taken as a likely server port when the engine decides which side
   * originated a flow whose first packet it did not see (Zeek's likely_server_ports).
   */
  readonly clientPorts?: readonly number[];
  /**
   * Optional content sniffing for flows on other ports: called with the first payload of a
   * direction; return true to attach. Must be cheap (a few byte compares).
   */
  sniff?(isOrig: boolean, buf: Buffer, off: number, len: number): boolean;
  /** A new analyzer for one flow. */
  create(conn: ConnInfo, sink: AppSink): AppAnalyzer;
  /** Packet time advanced (about once per second of packet time): expire cross-flow state. */
  tick?(ts: number): void;
  /** End of input: flush cross-flow state (e.g. DHCP transactions). */
  flush?(ts: number): void;
}
