/**
 * Hours as the owner lives them. Buckets are UTC hours (multiples of 3600 s, like the store's
 * hourly rollups); "a device is never active at 03:00" is about the owner's wall clock, so each
 * bucket maps to a local hour of the day and of the week in a configured time zone. Intl is slow
 * (microseconds), so results are cached per bucket: it runs once per hour of packet time, not per flow.
 */

const WEEKDAYS: Readonly<Record<string, number>> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };
const CACHE_MAX = 256;

export class LocalHours {
  readonly timeZone: string;
  readonly #fmt: Intl.DateTimeFormat;
  readonly #utc: boolean;
  /** UTC hour index -> (weekday * 24 + hour) << 6 | minute of the local time at the bucket start. */
  readonly #cache = new Map<number, number>();

  /** @param timeZone IANA name (`Europe/Berlin`); default: the system's zone. Throws RangeError if unknown. */
  constructor(timeZone?: string) {
    this.#fmt = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    this.timeZone = this.#fmt.resolvedOptions().timeZone;
    this.#utc = this.timeZone === 'UTC' || this.timeZone === 'Etc/UTC';
  }

  #local(hourIndex: number): number {
    if (this.#utc) {
      // 1970-01-01 was a Thursday (weekday 3 with Monday = 0).
      const days = Math.floor(hourIndex / 24);
      return ((((days + 3) % 7 + 7) % 7) * 24 + (((hourIndex % 24) + 24) % 24)) << 6;
    }
    let v = this.#cache.get(hourIndex);
    if (v === undefined) {
      let wd = 0, h = 0, m = 0;
      for (const p of this.#fmt.formatToParts(hourIndex * 3600 * 1000)) {
        if (p.type === 'weekday') wd = WEEKDAYS[p.value] ?? 0;
        else if (p.type === 'hour') h = Number(p.value);
        else if (p.type === 'minute') m = Number(p.value);
      }
      v = ((wd * 24 + h) << 6) | m;
      if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
      this.#cache.set(hourIndex, v);
    }
    return v;
  }

  /** Local hour of the day (0–23) in which the UTC hour `hourIndex` (= floor(ts / 3600)) starts. */
  hourOfDay(hourIndex: number): number {
    return (this.#local(hourIndex) >> 6) % 24;
  }

  /** Local hour of the week, Monday 00:00 = 0 … Sunday 23:00 = 167. */
  hourOfWeek(hourIndex: number): number {
    return this.#local(hourIndex) >> 6;
  }

  /** Local wall-clock time of the start of the UTC hour `hourIndex`, `HH:MM`. */
  clock(hourIndex: number): string {
    const v = this.#local(hourIndex);
    return `${String((v >> 6) % 24).padStart(2, '0')}:${String(v & 63).padStart(2, '0')}`;
  }
}
