/**
 * Rowids that are times, for the flows and dns tables (see schema.ts). A row's id is the packet
 * time in microseconds at which it was stored (its end: a flow's ts + duration, a DNS row's ts),
 * bumped to stay unique and increasing, so inserts append to the end of the B-tree and a time
 * range is a rowid range. Invariant, for every row: ts*1e6 <= id <= (ts + MAX_LAG_S)*1e6.
 *
 * A row that would break the upper bound (a flow longer than MAX_LAG_S, or the clock having
 * stepped back) is placed at its own start time instead: one write into the middle of the table,
 * rare, and the bound stays exact for queries and retention.
 */
export const MAX_LAG_S = 3600;

const US = 1e6;
/** Beyond this, times are not plausible packet times (and ids must stay safe integers). */
const MAX_TS = 9e9;

export function usOf(t: number): number {
  return Math.floor(t * US);
}

/** Whether a row time can become an id; rows with other times are rejected by the writer. */
export function validTime(t: number): boolean {
  return Number.isFinite(t) && t >= 0 && t < MAX_TS;
}

export class TimeIds {
  /** The largest id in the table (placed or committed), 0 when empty. */
  last: number;

  constructor(last: number) {
    this.last = last;
  }

  /** The id for a row starting at `ts` and stored at `end`; `taken` looks an id up in the table. */
  place(ts: number, end: number, taken: (id: number) => boolean): number {
    const lo = usOf(ts);
    const hi = usOf(ts + MAX_LAG_S);
    const next = Math.max(this.last + 1, usOf(Math.max(end, ts)));
    if (next <= hi) {
      this.last = next;
      return next;
    }
    let id = lo;
    while (taken(id)) id++;
    if (id > this.last) this.last = id;
    return id;
  }
}
