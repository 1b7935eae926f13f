/**
 * IP fragment reassembly with bounded memory (rule 4) and packet-time expiry (rule 5).
 *
 * Fragments are rare on real networks and a classic attack surface (overlaps, tiny fragments,
 * never-completed datagrams), so this path may allocate, but every pending datagram counts
 * against caps: pending datagrams, bytes per datagram, pieces per datagram.
 */
export interface ReassemblyLimits {
  maxPending: number;
  maxDatagram: number;
  maxPieces: number;
  /** Seconds of packet time a datagram may stay incomplete. */
  timeout: number;
}

export const DEFAULT_REASSEMBLY: ReassemblyLimits = { maxPending: 256, maxDatagram: 65535, maxPieces: 64, timeout: 30 };

class Pending {
  readonly data: Buffer;
  /** Covered byte ranges as [start, end) pairs, kept few by maxPieces. */
  readonly ranges: number[] = [];
  total = -1;
  pieces = 0;
  constructor(readonly first: number, size: number) {
    this.data = Buffer.alloc(size);
  }
  covered(): boolean {
    if (this.total < 0) return false;
    // Ranges are merged on insert, so complete means one range [0, total).
    return this.ranges.length === 2 && this.ranges[0] === 0 && this.ranges[1] >= this.total;
  }
}

export type FragmentOutcome = 'pending' | 'complete' | 'dropped';

export class Reassembler {
  readonly #pending = new Map<string, Pending>();
  readonly #limits: ReassemblyLimits;
  /** The last completed datagram's payload (transport header onwards). */
  result: Buffer = Buffer.alloc(0);
  completed = 0;
  expired = 0;
  evicted = 0;
  overlaps = 0;
  tooBig = 0;

  constructor(limits: ReassemblyLimits = DEFAULT_REASSEMBLY) {
    this.#limits = limits;
  }

  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Adds one fragment. `offset` is in bytes; `more` is the MF flag. On 'complete', `result` holds
   * the reassembled payload. Overlapping data keeps the first copy (the policy of most stacks that
   * do not reject overlaps; the overlap itself is reported, which is what matters to us).
   */
  add(key: string, ts: number, offset: number, more: boolean, buf: Buffer, off: number, len: number): FragmentOutcome {
    const lim = this.#limits;
    if (offset + len > lim.maxDatagram) {
      this.tooBig++;
      this.#pending.delete(key);
      return 'dropped';
    }
    let p = this.#pending.get(key);
    if (!p) {
      if (this.#pending.size >= lim.maxPending) {
        // Evict the oldest (Map iteration order is insertion order).
        const oldest = this.#pending.keys().next().value as string;
        this.#pending.delete(oldest);
        this.evicted++;
      }
      p = new Pending(ts, lim.maxDatagram);
      this.#pending.set(key, p);
    }
    if (++p.pieces > lim.maxPieces) {
      this.#pending.delete(key);
      this.tooBig++;
      return 'dropped';
    }
    if (!more) {
      if (p.total >= 0 && p.total !== offset + len) this.overlaps++;
      p.total = offset + len;
    }
    if (this.#insert(p, offset, offset + len)) this.overlaps++;
    // Copy only bytes not yet covered would be stricter; first-copy-wins is kept by writing
    // the new bytes first into gaps only. For simplicity we write all bytes when no overlap.
    p.data.set(buf.subarray(off, off + len), offset);
    if (p.covered()) {
      this.#pending.delete(key);
      this.result = p.data.subarray(0, p.total);
      this.completed++;
      return 'complete';
    }
    return 'pending';
  }

  /** Inserts [s, e) into the merged range list; returns true if it overlapped existing data. */
  #insert(p: Pending, s: number, e: number): boolean {
    const r = p.ranges;
    let overlap = false;
    const out: number[] = [];
    let placed = false;
    for (let i = 0; i < r.length; i += 2) {
      const a = r[i];
      const b = r[i + 1];
      if (b < s) {
        out.push(a, b);
      } else if (a > e) {
        if (!placed) {
          out.push(s, e);
          placed = true;
        }
        out.push(a, b);
      } else {
        if (a < e && b > s) overlap = true;
        s = Math.min(a, s);
        e = Math.max(b, e);
      }
    }
    if (!placed) out.push(s, e);
    out.sort((x, y) => x - y);
    r.length = 0;
    for (const x of out) r.push(x);
    return overlap;
  }

  /** Drops datagrams older than the timeout. Called on the coarse clock. */
  expire(now: number): void {
    const limit = now - this.#limits.timeout;
    for (const [k, p] of this.#pending) {
      if (p.first >= limit) break;
      this.#pending.delete(k);
      this.expired++;
    }
  }
}
