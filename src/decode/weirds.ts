/**
 * Named anomaly counting (Zeek's `weird`). Decoders report by name; the engine decides whether to
 * also write a weird.log line. Counting is a Map lookup on a rare path only: well-formed packets
 * never come here.
 */
export interface WeirdReporter {
  /** `name` is snake_case and says what was seen, e.g. `truncated_ipv4_header`. */
  weird(name: string, addl?: string): void;
}

export class WeirdCounts implements WeirdReporter {
  readonly counts = new Map<string, number>();
  weird(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }
  total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }
}
