/**
 * What one device has learned: item sets per kind, volume figures, active hours, and a short ring
 * of recent hour buckets (the running hour and the few before it that late-ending flows still add
 * to). Profiles persist as JSON in the store (`BaselineProfile.data`), versioned.
 */
import type { BaselineItem } from '../store/store.js';
import { ITEM_KINDS, type ItemKind } from './flow-rules.js';

export type ItemState = BaselineItem['state'];

export class Item {
  /** What the store last received, to persist lastSeen/count only now and then. */
  savedLastSeen: number;
  savedCount: number;
  dirty = false;
  constructor(
    readonly device: string,
    readonly kind: ItemKind,
    readonly value: string,
    public firstSeen: number,
    public lastSeen: number,
    public count: number,
    public state: ItemState,
  ) {
    this.savedLastSeen = lastSeen;
    this.savedCount = count;
  }

  toRow(): BaselineItem {
    return {
      device: this.device,
      kind: this.kind,
      value: this.value,
      firstSeen: this.firstSeen,
      lastSeen: this.lastSeen,
      count: this.count,
      state: this.state,
    };
  }
}

/**
 * Hour buckets kept per device: a flow that ends now adds its bytes to every hour it spanned, so
 * hours stay open for as long as flows can last; portions older than this are dropped (counted).
 */
export const RING_HOURS = 24;

/** Ring flags per bucket: what was already raised for that hour (once per device/direction/hour). */
export const FLAG_OUT = 1;
export const FLAG_IN = 2;
export const FLAG_HOUR = 4;

export class DeviceState {
  firstSeen = Infinity;
  lastSeen = -Infinity;
  readonly items: Map<string, Item>[] = ITEM_KINDS.map(() => new Map<string, Item>());
  /** Bit per item kind: the per-device cap was hit; new values of that kind are neither kept nor alerted. */
  capped = 0;
  /** Whether the device counts among NetworkRarity.destDevices. */
  hasDest = false;

  /** Largest bytes sent / received in one hour while learning (internet flows only). */
  learnedOut = 0;
  learnedIn = 0;
  /** Largest hourly figures since learning ended: what `accept volume` learns. */
  peakOut = 0;
  peakIn = 0;
  /** Per local hour of the day: largest internet bytes (sent + received) in one hour while learning. */
  readonly hourMax = new Float64Array(24);
  /** Local hours of the week (0 = Monday 00:00) in which the device was ever active. */
  readonly week = new Uint8Array(168);
  /** Bit per hour of day: the owner accepted activity then / an alert is pending for it. */
  acceptedHours = 0;
  alertedHours = 0;
  /** FLAG_OUT | FLAG_IN: a volume alert is pending acceptance. */
  volumeAlerted = 0;
  /** Outbound flows that got no answer (blocked SYNs, unanswered UDP): counted, not learned. */
  attempts = 0;

  readonly ringHour = new Float64Array(RING_HOURS).fill(-1);
  readonly ringOut = new Float64Array(RING_HOURS);
  readonly ringIn = new Float64Array(RING_HOURS);
  readonly ringFlags = new Uint8Array(RING_HOURS);

  /** The profile changed since it was last persisted. */
  touched = false;

  constructor(readonly mac: string) {}

  itemCount(): number {
    let n = 0;
    for (const m of this.items) n += m.size;
    return n;
  }

  toProfileData(): string {
    const ring: number[][] = [];
    for (let i = 0; i < RING_HOURS; i++) {
      if (this.ringHour[i] >= 0) ring.push([this.ringHour[i], this.ringOut[i], this.ringIn[i], this.ringFlags[i]]);
    }
    ring.sort((a, b) => a[0] - b[0]);
    const week: number[] = [];
    for (let i = 0; i < 168; i++) if (this.week[i]) week.push(i);
    const data: ProfileData = {
      v: 1,
      firstSeen: this.firstSeen,
      lastSeen: this.lastSeen,
      learnedOut: this.learnedOut,
      learnedIn: this.learnedIn,
      peakOut: this.peakOut,
      peakIn: this.peakIn,
      hourMax: Array.from(this.hourMax),
      week,
      acceptedHours: this.acceptedHours,
      alertedHours: this.alertedHours,
      volumeAlerted: this.volumeAlerted,
      attempts: this.attempts,
      capped: this.capped,
      ring,
    };
    return JSON.stringify(data);
  }

  /**
   * Merges a stored profile in (load at start, or again while running to pick up what
   * `vigil baseline accept` wrote from another process): maxima stay maxima, acceptance wins.
   * Returns false when the data is not a profile this version understands.
   */
  mergeProfileData(json: string): boolean {
    let d: unknown;
    try {
      d = JSON.parse(json);
    } catch {
      return false;
    }
    if (!isProfileData(d)) return false;
    this.firstSeen = Math.min(this.firstSeen, d.firstSeen);
    this.lastSeen = Math.max(this.lastSeen, d.lastSeen);
    this.learnedOut = Math.max(this.learnedOut, d.learnedOut);
    this.learnedIn = Math.max(this.learnedIn, d.learnedIn);
    this.peakOut = Math.max(this.peakOut, d.peakOut);
    this.peakIn = Math.max(this.peakIn, d.peakIn);
    for (let i = 0; i < 24; i++) this.hourMax[i] = Math.max(this.hourMax[i], Number(d.hourMax[i]) || 0);
    for (const w of d.week) if (Number.isInteger(w) && w >= 0 && w < 168) this.week[w] = 1;
    this.acceptedHours |= d.acceptedHours;
    this.alertedHours = (this.alertedHours | d.alertedHours) & ~this.acceptedHours;
    this.volumeAlerted |= d.volumeAlerted;
    this.attempts = Math.max(this.attempts, d.attempts);
    this.capped |= d.capped;
    for (const r of d.ring) {
      if (!Array.isArray(r) || r.length !== 4 || !r.every((x) => typeof x === 'number' && Number.isFinite(x))) continue;
      const [h, o, i, f] = r as [number, number, number, number];
      const slot = ((h % RING_HOURS) + RING_HOURS) % RING_HOURS;
      if (this.ringHour[slot] > h) continue;
      if (this.ringHour[slot] < h) {
        this.ringHour[slot] = h;
        this.ringOut[slot] = o;
        this.ringIn[slot] = i;
        this.ringFlags[slot] = f;
      } else {
        this.ringOut[slot] = Math.max(this.ringOut[slot], o);
        this.ringIn[slot] = Math.max(this.ringIn[slot], i);
        this.ringFlags[slot] |= f;
      }
    }
    return true;
  }
}

interface ProfileData {
  v: 1;
  firstSeen: number;
  lastSeen: number;
  learnedOut: number;
  learnedIn: number;
  peakOut: number;
  peakIn: number;
  hourMax: number[];
  week: number[];
  acceptedHours: number;
  alertedHours: number;
  volumeAlerted: number;
  attempts: number;
  capped: number;
  ring: unknown[];
}

function isProfileData(d: unknown): d is ProfileData {
  if (typeof d !== 'object' || d === null) return false;
  const o = d as Record<string, unknown>;
  const num = (k: string) => typeof o[k] === 'number' && Number.isFinite(o[k]);
  return (
    o.v === 1 &&
    ['firstSeen', 'lastSeen', 'learnedOut', 'learnedIn', 'peakOut', 'peakIn', 'acceptedHours', 'alertedHours', 'volumeAlerted', 'attempts', 'capped'].every(num) &&
    Array.isArray(o.hourMax) && o.hourMax.length === 24 &&
    Array.isArray(o.week) && Array.isArray(o.ring)
  );
}
