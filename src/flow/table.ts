/**
 * The flow table: bidirectional flows keyed on the 5-tuple, held in typed arrays.
 *
 * Why this shape (performance.md §3): a Map keyed by a string per packet costs about half the
 * per-packet budget. Here a key is ten 32-bit words compared in place, found by open addressing
 * over a seeded symmetric hash (seeded so nobody can pick colliding keys, R8), and every flow's
 * counters live in column arrays indexed by flow id. Nothing is allocated per packet.
 *
 * Expiry (rule 5): each flow sits in one of a few LRU lists, one per timeout class. A packet moves
 * its flow to the tail of its class list, so each list's head is its stalest flow: expiring is
 * popping heads while they are older than the class timeout, and eviction under pressure pops the
 * head of the cheapest class first (closed, then unanswered attempts, then UDP/ICMP, then
 * established TCP). No scans, no per-flow timers.
 */

/** Key layout, in words: src[0..3], dst[0..3], ports (sport << 16 | dport), meta (proto | ipVersion << 8 | icmpId << 16). */
export const KEY_WORDS = 10;

export const enum TimeoutClass {
  Closed = 0,
  Attempt = 1,
  Datagram = 2,
  Established = 3,
}
export const CLASS_COUNT = 4;

export interface FlowTimeouts {
  /** After FIN from both sides or a RST (Zeek tcp_close_delay). */
  closed: number;
  /** TCP with a SYN and no answer yet. */
  attempt: number;
  /** UDP, ICMP and other IP protocols (Zeek udp/icmp_inactivity_timeout). */
  datagram: number;
  /** TCP with traffic both ways (Zeek tcp_inactivity_timeout). */
  established: number;
}

export const DEFAULT_TIMEOUTS: FlowTimeouts = { closed: 5, attempt: 30, datagram: 60, established: 300 };

export class FlowTable {
  readonly capacity: number;
  readonly #mask: number;
  readonly #index: Int32Array;
  readonly key: Uint32Array;
  readonly hash: Uint32Array;
  readonly #seed: number;

  // LRU lists per timeout class, threaded through prev/next.
  readonly prev: Int32Array;
  readonly next: Int32Array;
  readonly klass: Uint8Array;
  readonly #head = new Int32Array(CLASS_COUNT).fill(-1);
  readonly #tail = new Int32Array(CLASS_COUNT).fill(-1);
  readonly #free: Int32Array;
  #freeTop: number;

  active = 0;
  created = 0;
  /** Set by find(): 1 when the packet travels originator → responder. */
  isOrig = 1;

  constructor(capacity: number, seed: number) {
    this.capacity = capacity;
    let size = 1;
    while (size < capacity * 2) size <<= 1;
    this.#mask = size - 1;
    this.#index = new Int32Array(size).fill(-1);
    this.key = new Uint32Array(capacity * KEY_WORDS);
    this.hash = new Uint32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.klass = new Uint8Array(capacity);
    this.#free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.#free[i] = capacity - 1 - i;
    this.#freeTop = capacity;
    this.#seed = seed | 0;
  }

  get full(): boolean {
    return this.#freeTop === 0;
  }

  /**
   * Symmetric hash of both endpoints: XOR of per-endpoint hashes, so A→B and B→A land together.
   */
  hashOf(src: Uint32Array, dst: Uint32Array, sport: number, dport: number, meta: number): number {
    const a = endpointHash(this.#seed, src, sport);
    const b = endpointHash(this.#seed, dst, dport);
    let h = (a ^ b ^ Math.imul(meta, 0x85ebca6b)) | 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d);
    h ^= h >>> 15;
    return h >>> 0;
  }

  /** Finds the flow of this 5-tuple; sets `isOrig`. Returns -1 when absent. */
  find(h: number, src: Uint32Array, dst: Uint32Array, ports: number, meta: number): number {
    const index = this.#index;
    const key = this.key;
    const mask = this.#mask;
    let i = h & mask;
    const rports = ((ports << 16) | (ports >>> 16)) >>> 0;
    for (;;) {
      const f = index[i];
      if (f < 0) return -1;
      if (this.hash[f] === h) {
        const k = f * KEY_WORDS;
        if (key[k + 9] === meta) {
          if (
            key[k + 8] === ports &&
            key[k] === src[0] && key[k + 1] === src[1] && key[k + 2] === src[2] && key[k + 3] === src[3] &&
            key[k + 4] === dst[0] && key[k + 5] === dst[1] && key[k + 6] === dst[2] && key[k + 7] === dst[3]
          ) {
            this.isOrig = 1;
            return f;
          }
          if (
            key[k + 8] === rports &&
            key[k] === dst[0] && key[k + 1] === dst[1] && key[k + 2] === dst[2] && key[k + 3] === dst[3] &&
            key[k + 4] === src[0] && key[k + 5] === src[1] && key[k + 6] === src[2] && key[k + 7] === src[3]
          ) {
            this.isOrig = 0;
            return f;
          }
        }
      }
      i = (i + 1) & mask;
    }
  }

  /**
   * Inserts a flow with the given originator orientation. The caller must make room first when
   * `full` (evict). Returns the new flow id.
   */
  insert(h: number, oSrc: Uint32Array, oDst: Uint32Array, ports: number, meta: number, klass: TimeoutClass): number {
    const f = this.#free[--this.#freeTop];
    const k = f * KEY_WORDS;
    const key = this.key;
    key[k] = oSrc[0]; key[k + 1] = oSrc[1]; key[k + 2] = oSrc[2]; key[k + 3] = oSrc[3];
    key[k + 4] = oDst[0]; key[k + 5] = oDst[1]; key[k + 6] = oDst[2]; key[k + 7] = oDst[3];
    key[k + 8] = ports;
    key[k + 9] = meta;
    this.hash[f] = h;
    let i = h & this.#mask;
    while (this.#index[i] >= 0) i = (i + 1) & this.#mask;
    this.#index[i] = f;
    this.klass[f] = klass;
    this.#append(f, klass);
    this.active++;
    this.created++;
    return f;
  }

  /** Removes a flow; backward-shift deletion keeps probe chains intact without tombstones. */
  remove(f: number): void {
    const index = this.#index;
    const mask = this.#mask;
    let i = this.hash[f] & mask;
    while (index[i] !== f) {
      if (index[i] < 0) return; // not present: nothing to do
      i = (i + 1) & mask;
    }
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const g = index[j];
      if (g < 0) break;
      const home = this.hash[g] & mask;
      // Move g back into the hole at i if its home position is not in (i, j].
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        index[i] = g;
        i = j;
      }
    }
    index[i] = -1;
    this.#unlink(f);
    this.#free[this.#freeTop++] = f;
    this.active--;
  }

  /** Marks activity: the flow moves to the tail of its (possibly new) class list. */
  touch(f: number, klass: TimeoutClass): void {
    const old = this.klass[f];
    if (old === klass && this.#tail[klass] === f) return;
    this.#unlink(f);
    this.klass[f] = klass;
    this.#append(f, klass);
  }

  /** Oldest flow of a class, or -1. */
  head(klass: TimeoutClass): number {
    return this.#head[klass];
  }

  #append(f: number, c: number): void {
    const t = this.#tail[c];
    this.prev[f] = t;
    this.next[f] = -1;
    if (t >= 0) this.next[t] = f;
    else this.#head[c] = f;
    this.#tail[c] = f;
  }

  #unlink(f: number): void {
    const c = this.klass[f];
    const p = this.prev[f];
    const n = this.next[f];
    if (p >= 0) this.next[p] = n;
    else this.#head[c] = n;
    if (n >= 0) this.prev[n] = p;
    else this.#tail[c] = p;
    this.prev[f] = -1;
    this.next[f] = -1;
  }
}

function endpointHash(seed: number, a: Uint32Array, port: number): number {
  let h = seed ^ port;
  h = Math.imul(h ^ a[0], 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ a[1], 0x85ebca77);
  h = Math.imul(h ^ (h >>> 13) ^ a[2], 0xc2b2ae3d);
  h = Math.imul(h ^ (h >>> 16) ^ a[3], 0x27d4eb2f);
  return h ^ (h >>> 15);
}
