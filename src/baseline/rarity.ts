/**
 * How common a destination is across the whole network, to weight "new ASN/domain" alerts: a
 * device starting to use the CDN that most devices here already use is not news; one starting to
 * talk to a network no other device uses is.
 *
 * Only `learned` and `accepted` items count as use: an item that raised an alert is not yet
 * normal, so malware spreading to a second device does not make its server look "common".
 * Memory: one counter per distinct (kind, value), bounded by the baselines' global item cap.
 */
export type Rarity = 'common' | 'shared' | 'rare';

export interface RarityRule {
  /** "Most other devices": at least this share of the devices that have destinations. */
  readonly commonShare: number;
  /** …and at least this many of them (on a 2-device network, one other device is not "most"). */
  readonly commonMinDevices: number;
}

export class NetworkRarity {
  readonly #users = new Map<string, number>();
  /** Devices with at least one learned/accepted destination (the denominator of the share). */
  destDevices = 0;

  constructor(readonly rule: RarityRule) {}

  /** A device now uses (kind, value) normally. Call once per device and value. */
  add(kind: string, value: string): void {
    const k = kind + '|' + value;
    this.#users.set(k, (this.#users.get(k) ?? 0) + 1);
  }

  users(kind: string, value: string): number {
    return this.#users.get(kind + '|' + value) ?? 0;
  }

  /**
   * @param deviceHasDest whether the device asking already counts among `destDevices`
   *        (it does not use `value` yet, so it is not among the users).
   */
  classify(kind: string, value: string, deviceHasDest: boolean): Rarity {
    const users = this.users(kind, value);
    if (users === 0) return 'rare';
    const others = this.destDevices - (deviceHasDest ? 1 : 0);
    if (users >= this.rule.commonMinDevices && others > 0 && users / others >= this.rule.commonShare) return 'common';
    return 'shared';
  }

  clear(): void {
    this.#users.clear();
    this.destDevices = 0;
  }
}
