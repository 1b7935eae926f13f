/**
 * Per-device baselines: what each device normally does, learned from its own flows in packet time,
 * and one plain alert when it does something new after learning (issue 3, the headline feature).
 *
 * What is learned, from flows attributed to a device (FlowRow.device / direction):
 *  - destinations of `out` flows that were answered: country, ASN, registered domain. Remote IPs
 *    are evidence only, not items: cloud and CDN addresses rotate daily, so IP items would be
 *    noise and the largest set by far; the domain/ASN/country of the IP carry the meaning.
 *  - services of answered `out` flows: `proto/remote port` (high ports grouped, flow-rules.ts).
 *    Unanswered attempts are counted per device, not learned (a blocked SYN is a detector's job).
 *  - listeners: `proto/local port` of `in` flows the device accepted, and of `local` flows
 *    accepted by the responder's MAC (a local flow is attributed to its originator).
 *  - bytes per hour sent to and received from the internet (local traffic is not "volume": NAS
 *    backups and casting would drown it), in UTC hour buckets; a flow's bytes are spread evenly
 *    over the hours it lasted, so a 3-hour stream does not land in one hour.
 *  - active hours: the largest internet traffic per local hour of the day; hours of the week are
 *    kept for status (7 days see each hour of the week once: too thin to alert on).
 *
 * Learning lasts `learningDays` from each device's own first flow. After it, every new item is
 * stored as `alerted` and raises ONE alert (items never alert twice; `accept` makes them normal).
 * Destination novelties of one flow make ONE alert, named after the most significant
 * (country > ASN > domain), the others listed in its evidence. Volume and hour alerts are raised
 * at most once per device, direction and hour, while the running hour crosses the threshold;
 * their keys are per device/direction and per device/hour of day, so the store counts repeats.
 *
 * Cost per flow: a device lookup, one to five item lookups, a few array writes for the hour
 * bucket. Sentences are built only when an alert is raised. Every set is capped and counted.
 */
import type { AlertSink, EvidenceValue, Severity } from '../alert/alert.js';
import type { BaselineItem, BaselineProfile, FlowRow } from '../store/store.js';
import { VigilError } from '../util/errors.js';
import {
  EVERYDAY_SERVICES, ITEM_CODES, ITEM_KINDS, KIND_INDEX, acceptedByResponder, answered, hourKey, isItemKind,
  isUnicastMac, itemKey, serviceValue, volumeKey, type ItemKind,
} from './flow-rules.js';
import { DeviceState, FLAG_HOUR, FLAG_IN, FLAG_OUT, Item, RING_HOURS } from './device-state.js';
import { LocalHours } from './local-hours.js';
import { NetworkRarity, type Rarity } from './rarity.js';
import { asnText, countryName, formatBytes, formatRatio, list, rarityClause, remoteText, serviceText } from './explain.js';
import { normalizeValue, type AcceptResult, type AcceptSpec } from './accept-spec.js';

export { parseAcceptSpec, acceptSpecForKey, normalizeValue, ACCEPT_KINDS } from './accept-spec.js';
export type { AcceptKind, AcceptSpec, AcceptResult } from './accept-spec.js';
export type { ItemKind } from './flow-rules.js';

export interface BaselineOptions {
  /** Days each device learns from its own first flow before deviations alert (default 7). */
  learningDays?: number;
  /** The device as a sentence names it, e.g. `Living-room TV (aa:bb:…)` (default: the MAC). */
  describe?: (mac: string) => string;
  /** Devices with a baseline (default 2048, as `devices.max`); flows of others are counted and skipped. */
  maxDevices?: number;
  /** Items per device and kind (default 256). Past it the kind stops learning and alerting for that device. */
  maxItemsPerDevice?: number;
  /** Items over all devices (default 100,000, about 15 MB). */
  maxItemsTotal?: number;
  /** Volume alert when an hour exceeds max(factor × learned hourly max, learned max + floor). Default 10. */
  volumeFactor?: number;
  /** Floor for uploads (default 50 MB): a thermostat sending 2 MB instead of 50 KB is not news. */
  volumeFloorOutBytes?: number;
  /** Floor for downloads (default 500 MB): firmware and app updates are big and benign. */
  volumeFloorInBytes?: number;
  /** Internet bytes (sent + received) that make an hour "active" (default 1 MB); background chatter stays below. */
  activeHourBytes?: number;
  /** A new ASN/domain used by at least this share of the other devices is learned silently (default 0.5). */
  commonShare?: number;
  /** …and by at least this many devices (default 2). */
  commonMinDevices?: number;
  /** Seconds of packet time between persisting profiles and item last-seen times (default 600). */
  persistSeconds?: number;
  /** IANA time zone for hours of the day in rules and sentences (default: the system's). */
  timeZone?: string;
  counters?: (name: string, n?: number) => void;
}

export const BASELINE_DEFAULTS = {
  learningDays: 7,
  maxDevices: 2048,
  maxItemsPerDevice: 256,
  maxItemsTotal: 100_000,
  volumeFactor: 10,
  volumeFloorOutBytes: 50e6,
  volumeFloorInBytes: 500e6,
  activeHourBytes: 1e6,
  commonShare: 0.5,
  commonMinDevices: 2,
  persistSeconds: 600,
} as const;

export interface ItemCounts {
  learned: number;
  alerted: number;
  accepted: number;
}

export interface DeviceBaselineStatus {
  readonly device: string;
  readonly name: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly learningUntil: number;
  /** Still learning at the latest packet time the baselines saw. */
  readonly learning: boolean;
  readonly items: Readonly<Record<ItemKind, ItemCounts>>;
  /** Kinds whose per-device cap was hit (they no longer learn or alert for this device). */
  readonly capped: ItemKind[];
  /** What raised an alert and is not accepted yet: exactly what `accept <device>` would accept. */
  readonly pending: { kind: string; value: string }[];
  readonly volume: {
    readonly learnedMaxOut: number;
    readonly learnedMaxIn: number;
    readonly thresholdOut: number;
    readonly thresholdIn: number;
    readonly peakOut: number;
    readonly peakIn: number;
  };
  readonly hours: {
    /** Local hours of the day active while learning (or accepted). */
    readonly active: number[];
    readonly accepted: number[];
    /** Local hours of the week (0 = Monday 00:00) ever active. */
    readonly week: number[];
  };
  /** Outbound flows that got no answer. */
  readonly attempts: number;
}

const DEST_KINDS = ['country', 'asn', 'domain'] as const;

export class Baselines {
  readonly #alerts: AlertSink;
  readonly #describe: (mac: string) => string;
  readonly #count: (name: string, n?: number) => void;
  readonly #learnSec: number;
  readonly #maxDevices: number;
  readonly #maxPerDevice: number;
  readonly #maxTotal: number;
  readonly #factor: number;
  readonly #floorOut: number;
  readonly #floorIn: number;
  readonly #active: number;
  readonly #persist: number;
  /** Hour-of-day alerts need learning to have seen every hour of the day at least once. */
  readonly #checkHours: boolean;
  readonly #hours: LocalHours;
  readonly #rarity: NetworkRarity;

  readonly #devices = new Map<string, DeviceState>();
  #itemsTotal = 0;
  /** Latest packet time seen (flow ends and ticks). */
  #now = -Infinity;
  #nextPersist = -Infinity;
  readonly #touched = new Set<DeviceState>();
  readonly #dirtyProfiles = new Set<DeviceState>();
  readonly #dirtyItems = new Set<Item>();

  constructor(alerts: AlertSink, opts: BaselineOptions = {}) {
    const d = BASELINE_DEFAULTS;
    this.#alerts = alerts;
    this.#describe = opts.describe ?? ((mac) => mac);
    this.#count = opts.counters ?? (() => {});
    this.#learnSec = (opts.learningDays ?? d.learningDays) * 86400;
    this.#maxDevices = opts.maxDevices ?? d.maxDevices;
    this.#maxPerDevice = opts.maxItemsPerDevice ?? d.maxItemsPerDevice;
    this.#maxTotal = opts.maxItemsTotal ?? d.maxItemsTotal;
    this.#factor = opts.volumeFactor ?? d.volumeFactor;
    this.#floorOut = opts.volumeFloorOutBytes ?? d.volumeFloorOutBytes;
    this.#floorIn = opts.volumeFloorInBytes ?? d.volumeFloorInBytes;
    this.#active = opts.activeHourBytes ?? d.activeHourBytes;
    this.#persist = opts.persistSeconds ?? d.persistSeconds;
    this.#checkHours = this.#learnSec >= 86400;
    this.#hours = new LocalHours(opts.timeZone);
    this.#rarity = new NetworkRarity({
      commonShare: opts.commonShare ?? d.commonShare,
      commonMinDevices: opts.commonMinDevices ?? d.commonMinDevices,
    });
  }

  /** Devices with a baseline. */
  get size(): number {
    return this.#devices.size;
  }

  // ---- state from the store ---------------------------------------------------------------------

  /**
   * Loads (or merges, when called again while running) what the store kept. Merging keeps maxima
   * and lets acceptance win, so re-loading picks up `vigil baseline accept` run from another process.
   */
  load(items: readonly BaselineItem[], profiles: readonly BaselineProfile[]): void {
    for (const p of profiles) {
      const dev = this.#deviceFor(p.device.toLowerCase());
      if (!dev) continue;
      if (!dev.mergeProfileData(p.data)) this.#count('baseline.profile_unreadable');
    }
    for (const it of items) {
      if (!isItemKind(it.kind)) {
        this.#count('baseline.item_kind_unknown');
        continue;
      }
      const dev = this.#deviceFor(it.device.toLowerCase());
      if (!dev) continue;
      if (it.firstSeen < dev.firstSeen) dev.firstSeen = it.firstSeen;
      if (it.lastSeen > dev.lastSeen) dev.lastSeen = it.lastSeen;
      const map = dev.items[KIND_INDEX[it.kind]];
      const have = map.get(it.value);
      if (have) {
        have.firstSeen = Math.min(have.firstSeen, it.firstSeen);
        have.lastSeen = Math.max(have.lastSeen, it.lastSeen);
        have.count = Math.max(have.count, it.count);
        if (it.state === 'accepted' || have.state === 'accepted') have.state = 'accepted';
        else if (it.state === 'alerted') have.state = 'alerted';
        continue;
      }
      if (this.#itemsTotal >= this.#maxTotal) {
        this.#count('baseline.items_capped_total');
        continue;
      }
      map.set(it.value, new Item(dev.mac, it.kind, it.value, it.firstSeen, it.lastSeen, it.count, it.state));
      this.#itemsTotal++;
    }
    for (const [mac, dev] of this.#devices) {
      // An unreadable profile with no items leaves nothing to go on: the device starts afresh.
      if (dev.firstSeen === Infinity) this.#devices.delete(mac);
      else if (dev.lastSeen > this.#now) this.#now = dev.lastSeen;
    }
    // Rarity is derived state: rebuild it from the items rather than persisting it.
    this.#rarity.clear();
    for (const dev of this.#devices.values()) {
      dev.hasDest = false;
      for (const k of DEST_KINDS) for (const item of dev.items[KIND_INDEX[k]].values()) if (item.state !== 'alerted') this.#becameNormal(dev, item);
    }
  }

  // ---- the flow path ----------------------------------------------------------------------------

  /** One finished flow; packet time is `row.ts` (start) and `row.ts + row.duration` (end). */
  observeFlow(row: FlowRow): void {
    this.#count('baseline.flows');
    const start = row.ts;
    const dur = row.duration > 0 ? row.duration : 0;
    const end = start + dur;
    if (end > this.#now) this.#now = end;
    const dir = row.direction;
    if (row.device === null || dir === 'external') {
      this.#count('baseline.flows_unattributed');
      return;
    }
    const dev = this.#sighting(row.device, start, end);
    if (dir === 'local') {
      // Attributed to the originator; the listener, if any, is the responder.
      const resp = row.respMac;
      if (resp && acceptedByResponder(row.proto, row.connState, row.respPkts) && isUnicastMac(resp)) {
        const mac = resp.toLowerCase();
        if (mac !== row.device) {
          const l = this.#sighting(mac, start, end);
          if (l) this.#listener(l, row, start, end, false);
        }
      }
      return;
    }
    if (!dev) return;
    if (dir === 'out') {
      this.#volume(dev, start, dur, row.origBytes, row.respBytes, end);
      if (!answered(row.proto, row.connState, row.origPkts, row.respPkts)) {
        dev.attempts++;
        this.#touch(dev);
        this.#count('baseline.unanswered_out');
        return;
      }
      this.#destinations(dev, row, start, end);
      this.#service(dev, row, start, end);
    } else {
      this.#volume(dev, start, dur, row.respBytes, row.origBytes, end);
      if (acceptedByResponder(row.proto, row.connState, row.respPkts)) this.#listener(dev, row, start, end, true);
    }
  }

  /**
   * Packet time advanced. Every `persistSeconds` the profiles changed since the last time become
   * dirty; otherwise this is one comparison.
   */
  tick(ts: number): void {
    if (ts > this.#now) this.#now = ts;
    if (ts < this.#nextPersist) return;
    this.#nextPersist = (Math.floor(ts / this.#persist) + 1) * this.#persist;
    for (const d of this.#touched) this.#dirtyProfiles.add(d);
  }

  /**
   * What to write to the store: new items and state changes at once, last-seen/count refreshes
   * and profiles at most every `persistSeconds` of packet time (to spare SD cards). `all: true`
   * (at shutdown or end of input) returns everything not yet persisted.
   */
  drainDirty(opts: { all?: boolean } = {}): { items: BaselineItem[]; profiles: BaselineProfile[] } {
    if (opts.all) {
      for (const d of this.#touched) this.#dirtyProfiles.add(d);
      for (const dev of this.#devices.values()) {
        for (const m of dev.items) for (const it of m.values()) {
          if (!it.dirty && (it.lastSeen !== it.savedLastSeen || it.count !== it.savedCount)) this.#markItem(it);
        }
      }
    }
    const items: BaselineItem[] = [];
    for (const it of this.#dirtyItems) {
      it.dirty = false;
      it.savedLastSeen = it.lastSeen;
      it.savedCount = it.count;
      items.push(it.toRow());
    }
    this.#dirtyItems.clear();
    const profiles: BaselineProfile[] = [];
    for (const d of this.#dirtyProfiles) {
      d.touched = false;
      this.#touched.delete(d);
      profiles.push({ device: d.mac, data: d.toProfileData() });
    }
    this.#dirtyProfiles.clear();
    return { items, profiles };
  }

  // ---- owner decisions --------------------------------------------------------------------------

  /**
   * Marks as normal what `what` names (see AcceptSpec); the baseline learns it and never alerts
   * on it again. Returns the keys of the alerts the caller closes in the store. Throws
   * VIGIL_ERR_NOT_FOUND for a device without a baseline, VIGIL_ERR_USAGE for a bad kind/value.
   */
  accept(device: string, what: AcceptSpec, ts: number): AcceptResult {
    const mac = device.toLowerCase();
    const dev = this.#devices.get(mac);
    if (!dev) {
      throw new VigilError('VIGIL_ERR_NOT_FOUND', `No baseline for ${device}: Vigil has seen no flows of this device; check the MAC with 'vigil baseline status'.`);
    }
    const res: AcceptResult = { device: mac, accepted: [], keys: [] };
    const kind = what.kind ?? 'all';
    const value = what.value === undefined || what.value === '' ? undefined : what.value;
    if (kind === 'all') {
      if (value !== undefined) throw new VigilError('VIGIL_ERR_USAGE', `Give a kind with the value '${value}', e.g. domain ${value}.`);
      for (const k of ITEM_KINDS) this.#acceptItems(dev, k, undefined, ts, res);
      this.#acceptVolume(dev, undefined, res);
      this.#acceptHours(dev, undefined, res);
    } else if (isItemKind(kind)) {
      this.#acceptItems(dev, kind, value === undefined ? undefined : normalizeValue(kind, value), ts, res);
    } else if (kind === 'volume') {
      this.#acceptVolume(dev, value === undefined ? undefined : (normalizeValue('volume', value) as 'out' | 'in'), res);
    } else if (kind === 'hours') {
      this.#acceptHours(dev, value === undefined ? undefined : Number(normalizeValue('hours', value)), res);
    } else {
      throw new VigilError('VIGIL_ERR_USAGE', `Unknown kind '${String(kind)}'; use country, asn, domain, service, listener, volume or hours.`);
    }
    this.#markProfile(dev);
    this.#count('baseline.accepted', res.accepted.length);
    return res;
  }

  #acceptItems(dev: DeviceState, kind: ItemKind, value: string | undefined, ts: number, res: AcceptResult): void {
    const map = dev.items[KIND_INDEX[kind]];
    const acceptOne = (item: Item) => {
      if (item.state === 'accepted') return;
      const wasNormal = item.state === 'learned';
      item.state = 'accepted';
      this.#markItem(item);
      if (!wasNormal) this.#becameNormal(dev, item);
    };
    if (value !== undefined) {
      let item = map.get(value);
      if (!item) {
        // Accepted before it was ever seen: the owner's word is enough (not subject to the caps).
        item = new Item(dev.mac, kind, value, ts, ts, 0, 'learned');
        map.set(value, item);
        this.#itemsTotal++;
      }
      acceptOne(item);
      res.accepted.push(`${kind} ${value}`);
      res.keys.push(itemKey(kind, dev.mac, value));
      return;
    }
    for (const item of map.values()) {
      if (item.state !== 'alerted') continue;
      acceptOne(item);
      res.accepted.push(`${kind} ${item.value}`);
      res.keys.push(itemKey(kind, dev.mac, item.value));
    }
  }

  /** Accepting a volume learns the largest hour seen since learning as the new normal maximum. */
  #acceptVolume(dev: DeviceState, dir: 'out' | 'in' | undefined, res: AcceptResult): void {
    for (const d of ['out', 'in'] as const) {
      const flag = d === 'out' ? FLAG_OUT : FLAG_IN;
      if (dir === undefined ? !(dev.volumeAlerted & flag) : dir !== d) continue;
      if (d === 'out') dev.learnedOut = Math.max(dev.learnedOut, dev.peakOut);
      else dev.learnedIn = Math.max(dev.learnedIn, dev.peakIn);
      dev.volumeAlerted &= ~flag;
      res.accepted.push(`volume ${d}`);
      res.keys.push(volumeKey(d, dev.mac));
    }
  }

  #acceptHours(dev: DeviceState, hour: number | undefined, res: AcceptResult): void {
    for (let h = 0; h < 24; h++) {
      const bit = 1 << h;
      if (hour === undefined ? !(dev.alertedHours & bit) : hour !== h) continue;
      dev.acceptedHours |= bit;
      dev.alertedHours &= ~bit;
      res.accepted.push(`hours ${String(h).padStart(2, '0')}`);
      res.keys.push(hourKey(dev.mac, h));
    }
  }

  // ---- status -----------------------------------------------------------------------------------

  status(device?: string): DeviceBaselineStatus[] {
    const devs = device === undefined ? [...this.#devices.values()] : [this.#devices.get(device.toLowerCase())].filter((d): d is DeviceState => !!d);
    devs.sort((a, b) => (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0));
    return devs.map((dev) => {
      const items = {} as Record<ItemKind, ItemCounts>;
      const pending: { kind: string; value: string }[] = [];
      const capped: ItemKind[] = [];
      for (const k of ITEM_KINDS) {
        const c: ItemCounts = { learned: 0, alerted: 0, accepted: 0 };
        for (const it of dev.items[KIND_INDEX[k]].values()) {
          c[it.state]++;
          if (it.state === 'alerted') pending.push({ kind: k, value: it.value });
        }
        items[k] = c;
        if (dev.capped & (1 << KIND_INDEX[k])) capped.push(k);
      }
      if (dev.volumeAlerted & FLAG_OUT) pending.push({ kind: 'volume', value: 'out' });
      if (dev.volumeAlerted & FLAG_IN) pending.push({ kind: 'volume', value: 'in' });
      const active: number[] = [];
      const accepted: number[] = [];
      for (let h = 0; h < 24; h++) {
        if (dev.alertedHours & (1 << h)) pending.push({ kind: 'hours', value: String(h).padStart(2, '0') });
        if (dev.acceptedHours & (1 << h)) accepted.push(h);
        if (dev.hourMax[h] >= this.#active / 2 || dev.acceptedHours & (1 << h)) active.push(h);
      }
      const week: number[] = [];
      for (let i = 0; i < 168; i++) if (dev.week[i]) week.push(i);
      const learningUntil = this.#learningUntil(dev);
      return {
        device: dev.mac,
        name: this.#describe(dev.mac),
        firstSeen: dev.firstSeen,
        lastSeen: dev.lastSeen,
        learningUntil,
        learning: this.#now < learningUntil,
        items,
        capped,
        pending,
        volume: {
          learnedMaxOut: dev.learnedOut,
          learnedMaxIn: dev.learnedIn,
          thresholdOut: this.#threshold(dev.learnedOut, this.#floorOut),
          thresholdIn: this.#threshold(dev.learnedIn, this.#floorIn),
          peakOut: dev.peakOut,
          peakIn: dev.peakIn,
        },
        hours: { active, accepted, week },
        attempts: dev.attempts,
      };
    });
  }

  /**
   * True while `device` is still learning at packet time `ts` (also when it has no baseline yet:
   * a device never seen before has learned nothing). Cheap: detectors ask it per suspicious event.
   */
  isLearning(device: string, ts: number): boolean {
    const dev = this.#devices.get(device);
    return dev === undefined || dev.firstSeen === Infinity || ts < this.#learningUntil(dev);
  }

  // ---- internals --------------------------------------------------------------------------------

  #learningUntil(dev: DeviceState): number {
    return dev.firstSeen + this.#learnSec;
  }

  #threshold(learned: number, floor: number): number {
    return Math.max(this.#factor * learned, learned + floor);
  }

  /** The device's state, created at its first flow (its learning starts then); null past the cap. */
  #deviceFor(mac: string): DeviceState | null {
    let dev = this.#devices.get(mac);
    if (dev) return dev;
    if (this.#devices.size >= this.#maxDevices) {
      this.#count('baseline.devices_capped');
      return null;
    }
    dev = new DeviceState(mac);
    this.#devices.set(mac, dev);
    return dev;
  }

  #sighting(mac: string, start: number, end: number): DeviceState | null {
    const dev = this.#deviceFor(mac);
    if (!dev) return null;
    if (start < dev.firstSeen) {
      const isNew = dev.firstSeen === Infinity;
      dev.firstSeen = start;
      if (isNew) this.#count('baseline.devices');
      this.#markProfile(dev);
    }
    if (end > dev.lastSeen) {
      dev.lastSeen = end;
      this.#touch(dev);
    }
    return dev;
  }

  #touch(dev: DeviceState): void {
    if (!dev.touched) {
      dev.touched = true;
      this.#touched.add(dev);
    }
  }

  #markProfile(dev: DeviceState): void {
    this.#touch(dev);
    this.#dirtyProfiles.add(dev);
  }

  #markItem(item: Item): void {
    if (!item.dirty) {
      item.dirty = true;
      this.#dirtyItems.add(item);
    }
  }

  /** A destination item became learned or accepted: the network's rarity counts it. */
  #becameNormal(dev: DeviceState, item: Item): void {
    if (item.kind !== 'country' && item.kind !== 'asn' && item.kind !== 'domain') return;
    this.#rarity.add(item.kind, item.value);
    if (!dev.hasDest) {
      dev.hasDest = true;
      this.#rarity.destDevices++;
    }
  }

  /** Known item: refresh it and return it. Last-seen is persisted only every `persistSeconds`. */
  #known(dev: DeviceState, kind: ItemKind, value: string, end: number): Item | undefined {
    const item = dev.items[KIND_INDEX[kind]].get(value);
    if (item) {
      item.count++;
      if (end > item.lastSeen) {
        item.lastSeen = end;
        if (!item.dirty && end - item.savedLastSeen >= this.#persist) this.#markItem(item);
      }
    }
    return item;
  }

  /** Adds an item, or returns null (counted) when a cap is in the way. */
  #add(dev: DeviceState, kind: ItemKind, value: string, start: number, end: number, state: 'learned' | 'alerted'): Item | null {
    const i = KIND_INDEX[kind];
    const map = dev.items[i];
    if (map.size >= this.#maxPerDevice) {
      if (!(dev.capped & (1 << i))) {
        dev.capped |= 1 << i;
        this.#markProfile(dev);
        this.#count('baseline.kinds_capped');
      }
      this.#count('baseline.items_capped');
      return null;
    }
    if (this.#itemsTotal >= this.#maxTotal) {
      this.#count('baseline.items_capped_total');
      return null;
    }
    const item = new Item(dev.mac, kind, value, start, end, 1, state);
    map.set(value, item);
    this.#itemsTotal++;
    this.#markItem(item);
    if (state === 'learned') {
      this.#becameNormal(dev, item);
      this.#count('baseline.items_learned');
    }
    return item;
  }

  #destinations(dev: DeviceState, row: FlowRow, start: number, end: number): void {
    const learning = start < this.#learningUntil(dev);
    let first: ItemKind | null = null;
    let firstValue = '';
    let firstRarity: Rarity = 'rare';
    let news: string[] | null = null;
    for (const kind of DEST_KINDS) {
      const value = kind === 'country' ? row.remoteCountry?.toUpperCase() : kind === 'asn' ? (row.remoteAsn === null ? null : String(row.remoteAsn)) : row.remoteDomain?.toLowerCase();
      if (!value) continue;
      if (this.#known(dev, kind, value, end)) continue;
      if (learning) {
        this.#add(dev, kind, value, start, end, 'learned');
        continue;
      }
      if (dev.capped & (1 << KIND_INDEX[kind])) {
        this.#count('baseline.items_capped');
        continue;
      }
      const rarity = this.#rarity.classify(kind, value, dev.hasDest);
      if (rarity === 'common' && kind !== 'country') {
        // Most devices here already use it (a CDN, a big cloud): learning it is not news.
        if (this.#add(dev, kind, value, start, end, 'learned')) this.#count('baseline.common_learned');
        continue;
      }
      if (!this.#add(dev, kind, value, start, end, 'alerted')) continue;
      (news ??= []).push(`${kind}:${value}`);
      if (first === null) {
        first = kind;
        firstValue = value;
        firstRarity = rarity;
      }
    }
    if (first === null || news === null) return;
    const who = this.#describe(dev.mac);
    const ip = row.remoteIp;
    const domain = row.remoteDomain;
    const country = row.remoteCountry ? countryName(row.remoteCountry.toUpperCase()) : null;
    const asTxt = asnText(row.remoteAsn, row.remoteAsOrg);
    const others = this.#rarity.users(first, firstValue);
    let summary: string;
    if (first === 'country') {
      summary = `${who} talked to a server in ${country}${asTxt ? ` (${asTxt})` : ''} for the first time: ${remoteText(ip, null, domain)}.`;
    } else if (first === 'asn') {
      summary = `${who} talked to ${asTxt}${country ? ` (${country})` : ''} for the first time${rarityClause('network', others)}: ${remoteText(ip, null, domain)}.`;
    } else {
      const where = list(asTxt, country);
      summary = `${who} talked to ${firstValue} for the first time${rarityClause('domain', others)}: ${ip}${where ? ` (${where})` : ''}.`;
    }
    const severity: Severity = firstRarity === 'rare' ? 'medium' : 'low';
    this.#raise(end, ITEM_CODES[first], severity, dev.mac, summary, itemKey(first, dev.mac, firstValue), {
      ...this.#flowEvidence(row),
      new: news,
      otherDevices: others,
    });
  }

  #service(dev: DeviceState, row: FlowRow, start: number, end: number): void {
    const value = serviceValue(row.proto, row.respP);
    if (this.#known(dev, 'service', value, end)) return;
    if (start < this.#learningUntil(dev)) {
      this.#add(dev, 'service', value, start, end, 'learned');
      return;
    }
    if (!this.#add(dev, 'service', value, start, end, 'alerted')) return;
    const where = list(row.remoteDomain, row.remoteCountry ? countryName(row.remoteCountry.toUpperCase()) : null);
    const port = row.proto === 'icmp' ? null : row.respP;
    const summary =
      `${this.#describe(dev.mac)} used ${serviceText(value)}${row.service ? ` (${row.service})` : ''} for the first time: ` +
      `${remoteText(row.remoteIp, port, null)}${where ? ` (${where})` : ''}.`;
    const severity: Severity = EVERYDAY_SERVICES.has(value) ? 'low' : 'medium';
    this.#raise(end, ITEM_CODES.service, severity, dev.mac, summary, itemKey('service', dev.mac, value), this.#flowEvidence(row));
  }

  #listener(dev: DeviceState, row: FlowRow, start: number, end: number, fromInternet: boolean): void {
    const value = serviceValue(row.proto, row.respP);
    if (this.#known(dev, 'listener', value, end)) return;
    if (start < this.#learningUntil(dev)) {
      this.#add(dev, 'listener', value, start, end, 'learned');
      return;
    }
    if (!this.#add(dev, 'listener', value, start, end, 'alerted')) return;
    const from = fromInternet
      ? `${row.origH}${row.remoteCountry ? ` (${list(countryName(row.remoteCountry.toUpperCase()), asnText(row.remoteAsn, row.remoteAsOrg))})` : ''} on the internet`
      : `${row.origH} on the local network`;
    const summary = `${this.#describe(dev.mac)} accepted a connection on ${serviceText(value)}${row.service ? ` (${row.service})` : ''} for the first time, from ${from}.`;
    // A new port open to the internet is how compromised IoT devices are reached.
    const severity: Severity = fromInternet ? 'high' : 'medium';
    this.#raise(end, ITEM_CODES.listener, severity, dev.mac, summary, itemKey('listener', dev.mac, value), {
      ...this.#flowEvidence(row),
      port: row.respP,
      from: row.origH,
    });
  }

  #flowEvidence(row: FlowRow): Record<string, EvidenceValue> {
    return {
      uid: row.uid,
      proto: row.proto,
      ip: row.remoteIp,
      port: row.respP,
      service: row.service || null,
      country: row.remoteCountry,
      asn: row.remoteAsn,
      asOrg: row.remoteAsOrg,
      name: row.remoteName,
      domain: row.remoteDomain,
      bytesOut: row.direction === 'in' ? row.respBytes : row.origBytes,
      bytesIn: row.direction === 'in' ? row.origBytes : row.respBytes,
    };
  }

  /** Spreads a flow's bytes evenly over the UTC hours it lasted. */
  #volume(dev: DeviceState, start: number, dur: number, sent: number, recv: number, end: number): void {
    if (sent + recv <= 0) return;
    const h0 = Math.floor(start / 3600);
    const h1 = dur > 0 ? Math.ceil(end / 3600) - 1 : h0;
    if (h1 <= h0) {
      this.#bucket(dev, h0, sent, recv, end);
      return;
    }
    let h = h0;
    if (h1 - h0 >= RING_HOURS) {
      h = h1 - RING_HOURS + 1;
      this.#count('baseline.volume_hours_dropped', h - h0);
    }
    for (; h <= h1; h++) {
      const f = (Math.min(end, (h + 1) * 3600) - Math.max(start, h * 3600)) / dur;
      if (f > 0) this.#bucket(dev, h, sent * f, recv * f, end);
    }
  }

  #bucket(dev: DeviceState, h: number, sent: number, recv: number, ts: number): void {
    const slot = ((h % RING_HOURS) + RING_HOURS) % RING_HOURS;
    if (dev.ringHour[slot] !== h) {
      if (dev.ringHour[slot] > h) {
        this.#count('baseline.volume_late');
        return;
      }
      dev.ringHour[slot] = h;
      dev.ringOut[slot] = 0;
      dev.ringIn[slot] = 0;
      dev.ringFlags[slot] = 0;
    }
    const out = (dev.ringOut[slot] += sent);
    const inn = (dev.ringIn[slot] += recv);
    const total = out + inn;
    this.#touch(dev);
    if (total >= this.#active) dev.week[this.#hours.hourOfWeek(h)] = 1;
    if (h * 3600 < this.#learningUntil(dev)) {
      if (out > dev.learnedOut) dev.learnedOut = out;
      if (inn > dev.learnedIn) dev.learnedIn = inn;
      const hod = this.#hours.hourOfDay(h);
      if (total > dev.hourMax[hod]) dev.hourMax[hod] = total;
      return;
    }
    if (out > dev.peakOut) dev.peakOut = out;
    if (inn > dev.peakIn) dev.peakIn = inn;
    const flags = dev.ringFlags[slot];
    if (!(flags & FLAG_OUT) && out > this.#threshold(dev.learnedOut, this.#floorOut)) {
      dev.ringFlags[slot] |= FLAG_OUT;
      dev.volumeAlerted |= FLAG_OUT;
      this.#markProfile(dev);
      this.#volumeAlert(dev, 'out', h, out, dev.learnedOut, this.#threshold(dev.learnedOut, this.#floorOut), ts);
    }
    if (!(flags & FLAG_IN) && inn > this.#threshold(dev.learnedIn, this.#floorIn)) {
      dev.ringFlags[slot] |= FLAG_IN;
      dev.volumeAlerted |= FLAG_IN;
      this.#markProfile(dev);
      this.#volumeAlert(dev, 'in', h, inn, dev.learnedIn, this.#threshold(dev.learnedIn, this.#floorIn), ts);
    }
    if (!(flags & FLAG_HOUR) && this.#checkHours && total >= this.#active) {
      const hod = this.#hours.hourOfDay(h);
      const bit = 1 << hod;
      // Half the threshold while learning counts as active: an hour that hovered just under it
      // then must not alert at just over it now.
      // Only devices with a daily rhythm (some hour active while learning) have unusual hours; for
      // one never active at all, more traffic is a question of volume, judged above.
      if (!(dev.acceptedHours & bit) && dev.hourMax[hod] < this.#active / 2 && this.#hasRhythm(dev)) {
        dev.ringFlags[slot] |= FLAG_HOUR;
        dev.alertedHours |= bit;
        this.#markProfile(dev);
        const summary =
          `${this.#describe(dev.mac)} was active between ${this.#hours.clock(h)} and ${this.#hours.clock(h + 1)}, an hour of the day ` +
          `in which it was never active while learning: ${formatBytes(total)} exchanged with the internet.`;
        this.#raise(ts, 'baseline.unusual_hour', 'low', dev.mac, summary, hourKey(dev.mac, hod), {
          hourOfDay: hod,
          hourStart: h * 3600,
          bytes: Math.round(total),
          learnedMax: Math.round(dev.hourMax[hod]),
          timeZone: this.#hours.timeZone,
        });
      }
    }
  }

  #hasRhythm(dev: DeviceState): boolean {
    for (let h = 0; h < 24; h++) if (dev.hourMax[h] >= this.#active / 2) return true;
    return false;
  }

  #volumeAlert(dev: DeviceState, dir: 'out' | 'in', h: number, bytes: number, learned: number, threshold: number, ts: number): void {
    const who = this.#describe(dev.mac);
    const verb = dir === 'out' ? 'sent' : 'received';
    const to = dir === 'out' ? 'to' : 'from';
    const when = `between ${this.#hours.clock(h)} and ${this.#hours.clock(h + 1)}`;
    // "10,200× its usual maximum of 5 KB" says less than "never more than 5 KB": ratios only when readable.
    const ratio = learned >= 1000 && bytes / learned < 1000 ? bytes / learned : null;
    const summary =
      ratio !== null
        ? `${who} ${verb} ${formatBytes(bytes)} ${to} the internet ${when}, ${formatRatio(ratio)} its usual hourly maximum of ${formatBytes(learned)}.`
        : `${who} ${verb} ${formatBytes(bytes)} ${to} the internet ${when}; while learning it never ${verb} more than ${formatBytes(learned)} in an hour.`;
    this.#raise(ts, `baseline.volume_${dir}`, dir === 'out' ? 'medium' : 'low', dev.mac, summary, volumeKey(dir, dev.mac), {
      direction: dir,
      bytes: Math.round(bytes),
      hourStart: h * 3600,
      learnedMax: Math.round(learned),
      threshold: Math.round(threshold),
      ratio: ratio === null ? null : Math.round(ratio * 10) / 10,
    });
  }

  #raise(ts: number, code: string, severity: Severity, device: string, summary: string, key: string, evidence: Record<string, EvidenceValue>): void {
    this.#count('baseline.alerts');
    this.#count(code);
    this.#alerts.raise({ ts, code, severity, device, summary, evidence, key });
  }
}
