/**
 * A token bucket on packet time: `take(t)` refills at `perSecond` for the packet time elapsed
 * since the last call (up to `burst`) and spends one token if there is one. Driven by packet time
 * so that replaying a capture keeps exactly the rows living through it would have kept.
 */
export interface Budget {
  readonly perSecond: number;
  readonly burst: number;
}

/**
 * A clock step back larger than this (an NTP step on a Pi without RTC, a capture spliced from two
 * days) restarts the clock instead of starving the bucket until packet time catches up. It must be
 * well above the flow timeouts: a flow that ends by idle timeout is stamped with its last packet,
 * up to an hour (the longest timeout class) behind the flows that end by FIN beside it, and a
 * reset on every such flow would refill the bucket each time (measured: 80 % of bench-small's
 * flows kept instead of the budget).
 */
const BACKSTEP_RESET_S = 2 * 3600;

export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last = Number.NaN;

  constructor(b: Budget) {
    this.#rate = Math.max(0, b.perSecond);
    this.#burst = Math.max(1, b.burst);
    this.#tokens = this.#burst;
  }

  take(t: number): boolean {
    if (!(t >= this.#last)) {
      // First call, NaN input, or time went back: only a large step back restarts the clock.
      if (Number.isNaN(this.#last) || t < this.#last - BACKSTEP_RESET_S) this.#last = t;
    } else {
      this.#tokens = Math.min(this.#burst, this.#tokens + (t - this.#last) * this.#rate);
      this.#last = t;
    }
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    return false;
  }
}
