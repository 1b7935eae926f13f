/**
 * The alert model every producer (device inventory, baselines, detectors, intel, sensor health)
 * speaks. An alert is a plain sentence plus the evidence behind it; `key` makes it idempotent:
 * raising the same key while an alert with that key is open only bumps its count and last time.
 */

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** Evidence values stay flat and JSON-friendly so the store, notifiers and UI render them as-is. */
export type EvidenceValue = string | number | boolean | null | readonly string[];

export interface Alert {
  /** Packet time (seconds since the epoch) of the observation that raised it. */
  readonly ts: number;
  /** Stable code, e.g. `new_device`, `baseline.new_country`, `sensor.capture_loss`. */
  readonly code: string;
  readonly severity: Severity;
  /** MAC of the device the alert is about, when it is about one. */
  readonly device: string | null;
  /** One plain sentence a home owner understands, e.g. "Living-room TV talked to Russia for the first time." */
  readonly summary: string;
  readonly evidence: Readonly<Record<string, EvidenceValue>>;
  /** Dedup key: equal keys are the same alert (e.g. `baseline.new_country|aa:bb:..|RU`). */
  readonly key: string;
}

export interface AlertSink {
  raise(alert: Alert): void;
}

/** Collects alerts in memory: for `analyze` without a store, and for tests. */
export class AlertList implements AlertSink {
  readonly alerts: Alert[] = [];
  raise(alert: Alert): void {
    this.alerts.push(alert);
  }
}
