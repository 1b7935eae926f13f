/**
 * The shell of an analyzer for protocols with one message per datagram (SSDP, NetBIOS-NS …):
 * confirmation, giving up on flows that never parse, and the report callbacks their parsers use
 * for weirds and counters. Subclasses implement `deliver` only.
 */
import type { AppAnalyzer, AppSink, ConnInfo } from './analyzer.js';

export abstract class DatagramAnalyzer implements AppAnalyzer {
  confirmed = false;
  done = false;
  /** Time of the datagram being parsed, for weirds the parser reports. */
  protected ts = 0;
  #failures = 0;

  constructor(
    protected readonly conn: ConnInfo,
    protected readonly sink: AppSink,
    /** Datagrams that do not parse before an unconfirmed flow is given up. */
    private readonly maxFailures: number,
  ) {}

  abstract deliver(isOrig: boolean, buf: Buffer, off: number, len: number, ts: number): void;

  /** A datagram that is not this protocol: an unconfirmed flow gives up after maxFailures. */
  protected failed(): void {
    if (!this.confirmed && ++this.#failures >= this.maxFailures) this.done = true;
  }

  gap(_isOrig: boolean, _len: number): void {}

  finish(_ts: number): void {}

  weird(name: string, addl?: string): void {
    this.sink.weird(name, this.ts, this.conn, addl);
  }

  count(name: string): void {
    this.sink.count(name);
  }
}
