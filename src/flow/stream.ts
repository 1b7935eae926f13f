/**
 * Application analyzers attached to one flow, and TCP stream ordering for them.
 *
 * Analyzers want stream bytes in order. Captures reorder, duplicate and lose segments, so per
 * direction we keep the next expected sequence number, trim retransmitted bytes, hold a few
 * out-of-order segments (copied: they outlive the packet) and, when the hole does not fill within
 * those caps or by the end of the flow, report a gap and move on (Zeek's content gap).
 */
import type { AppAnalyzer, ConnInfo } from '../decode/app/analyzer.js';
import type { Counters } from '../stats/counters.js';

const MAX_HELD_SEGMENTS = 16;
const MAX_HELD_BYTES = 64 * 1024;
const SYN = 0x02;

interface Held {
  seq: number;
  data: Buffer;
}

class Direction {
  next = 0;
  started = false;
  held: Held[] = [];
  heldBytes = 0;
}

export interface StreamOwner {
  readonly counters: Counters;
  noteGap(): void;
}

export class FlowApps {
  readonly analyzers: AppAnalyzer[] = [];
  readonly services: string[] = [];
  /** Attached by content sniffing rather than by port. */
  readonly #sniffed: boolean[] = [];
  /** The responder sent payload (Zeek's DPD needs the reverse direction to match as well). */
  #respData = false;
  readonly #dirs: [Direction, Direction] = [new Direction(), new Direction()];
  #active = 0;

  constructor(readonly conn: ConnInfo, private readonly owner: StreamOwner) {}

  add(a: AppAnalyzer, service: string, sniffed = false): void {
    this.analyzers.push(a);
    this.services.push(service);
    this.#sniffed.push(sniffed);
    this.#active++;
  }

  has(service: string): boolean {
    return this.services.includes(service);
  }

  /** The stream of one direction begins at `seq` (the byte after the SYN). */
  startAt(isOrig: boolean, seq: number): void {
    const d = this.#dirs[isOrig ? 0 : 1];
    d.next = seq >>> 0;
    d.started = true;
  }

  get done(): boolean {
    return this.#active === 0;
  }

  confirmedServices(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.analyzers.length; i++) {
      // A sniffed analyzer on a one-sided TCP flow (a scanner's request answered by an RST) is
      // not a service: only port-attached analyzers may confirm from one direction.
      if (this.analyzers[i].confirmed && (this.#respData || !this.#sniffed[i])) out.push(this.services[i]);
    }
    return out;
  }

  #deliver(isOrig: boolean, buf: Buffer, off: number, len: number, ts: number): void {
    const list = this.analyzers;
    let active = 0;
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      if (a.done) continue;
      a.deliver(isOrig, buf, off, len, ts);
      if (!a.done) active++;
    }
    this.#active = active;
  }

  #gap(isOrig: boolean, len: number): void {
    this.owner.noteGap();
    for (const a of this.analyzers) if (!a.done) a.gap(isOrig, len);
  }

  datagram(isOrig: boolean, buf: Buffer, off: number, len: number, ts: number): void {
    // Discovery protocols over UDP (SSDP, mDNS …) are one-sided by nature: a matching datagram
    // is enough there.
    this.#respData = true;
    if (this.#active > 0) this.#deliver(isOrig, buf, off, len, ts);
  }

  segment(isOrig: boolean, flags: number, seq: number, buf: Buffer, off: number, len: number, ts: number): void {
    if (this.#active === 0) return;
    const d = this.#dirs[isOrig ? 0 : 1];
    if (flags & SYN) {
      d.next = (seq + 1) >>> 0;
      d.started = true;
      seq = (seq + 1) >>> 0;
    }
    if (len === 0) return;
    if (!isOrig) this.#respData = true;
    if (!d.started) {
      d.next = seq;
      d.started = true;
    }
    const rel = (seq - d.next) | 0;
    if (rel > 0) {
      this.#hold(d, isOrig, seq, buf, off, len, ts);
      return;
    }
    const trim = -rel;
    if (trim >= len) return; // pure retransmission
    this.#deliver(isOrig, buf, off + trim, len - trim, ts);
    d.next = (seq + len) >>> 0;
    if (d.held.length > 0) this.#drain(d, isOrig, ts);
  }

  #hold(d: Direction, isOrig: boolean, seq: number, buf: Buffer, off: number, len: number, ts: number): void {
    if (d.held.length >= MAX_HELD_SEGMENTS || d.heldBytes + len > MAX_HELD_BYTES) {
      // The hole is not going to fill within our budget: skip to the earliest held data.
      this.owner.counters.streamBufferCapped++;
      this.#skipToHeld(d, isOrig, ts);
      if (((seq - d.next) | 0) > 0 && d.held.length >= MAX_HELD_SEGMENTS) {
        this.#gap(isOrig, (seq - d.next) | 0);
        d.next = seq;
      }
      if (((seq - d.next) | 0) <= 0) {
        const trim = (d.next - seq) | 0;
        if (trim < len) {
          this.#deliver(isOrig, buf, off + trim, len - trim, ts);
          d.next = (seq + len) >>> 0;
        }
        return;
      }
    }
    d.held.push({ seq, data: Buffer.from(buf.subarray(off, off + len)) });
    d.heldBytes += len;
  }

  #drain(d: Direction, isOrig: boolean, ts: number): void {
    let progress = true;
    while (progress && d.held.length > 0 && this.#active > 0) {
      progress = false;
      for (let i = 0; i < d.held.length; i++) {
        const h = d.held[i];
        const rel = (h.seq - d.next) | 0;
        if (rel > 0) continue;
        d.held.splice(i, 1);
        d.heldBytes -= h.data.length;
        const trim = -rel;
        if (trim < h.data.length) {
          this.#deliver(isOrig, h.data, trim, h.data.length - trim, ts);
          d.next = (h.seq + h.data.length) >>> 0;
        }
        progress = true;
        break;
      }
    }
  }

  /** Declares the hole before the earliest held segment lost and delivers from there. */
  #skipToHeld(d: Direction, isOrig: boolean, ts: number): void {
    if (d.held.length === 0) return;
    let first = d.held[0];
    for (const h of d.held) if (((h.seq - first.seq) | 0) < 0) first = h;
    const missing = (first.seq - d.next) | 0;
    if (missing > 0) {
      this.#gap(isOrig, missing);
      d.next = first.seq;
    }
    this.#drain(d, isOrig, ts);
  }

  finish(ts: number): void {
    for (let i = 0; i < 2; i++) {
      const d = this.#dirs[i];
      while (d.held.length > 0 && this.#active > 0) this.#skipToHeld(d, i === 0, ts);
      d.held = [];
    }
    for (const a of this.analyzers) a.finish(ts);
  }
}
