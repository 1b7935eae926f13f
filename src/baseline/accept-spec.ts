/**
 * What the owner can mark as normal, as `vigil baseline accept <device> [kind] [value]` says it:
 * no kind = everything currently alerted for the device; a kind without a value = everything
 * alerted of that kind; a kind and a value = that one (also before it was ever seen).
 * Values are normalised here so that `AS13335`, `13335`, `ru`, `RU`, `Example.COM.` all match.
 */
import { VigilError } from '../util/errors.js';
import { HIGH_PORT, isItemKind, serviceValue, type ItemKind } from './flow-rules.js';

export type AcceptKind = ItemKind | 'volume' | 'hours';

export const ACCEPT_KINDS: readonly AcceptKind[] = ['country', 'asn', 'domain', 'service', 'listener', 'volume', 'hours'];

export interface AcceptSpec {
  /** Omitted (or 'all'): everything currently alerted for the device. */
  readonly kind?: AcceptKind | 'all';
  /** Omitted: everything currently alerted of `kind`. `volume`: `out` or `in`; `hours`: 0–23. */
  readonly value?: string;
}

export interface AcceptResult {
  readonly device: string;
  /** What became normal, e.g. `country RU`, `volume out`, `hours 03`. */
  readonly accepted: string[];
  /** Keys of the alerts to close in the store ("matching open alerts are closed, retroactively"). */
  readonly keys: string[];
}

function usage(msg: string): VigilError {
  return new VigilError('VIGIL_ERR_USAGE', msg);
}

/** Checks CLI words and returns the spec; throws VIGIL_ERR_USAGE with what to type instead. */
export function parseAcceptSpec(kind?: string, value?: string): AcceptSpec {
  if (kind === undefined || kind === '' || kind === 'all') {
    if (value !== undefined && value !== '') throw usage(`Give a kind before the value, e.g. 'accept <device> domain ${value}'.`);
    return {};
  }
  const k = kind.toLowerCase();
  if (k === 'ip') throw usage(`Single IP addresses are not baselined; accept the device's domain, asn or country instead.`);
  if (!(ACCEPT_KINDS as readonly string[]).includes(k)) {
    throw usage(`Unknown kind '${kind}'; use one of ${ACCEPT_KINDS.join(', ')} (or nothing, for everything alerted).`);
  }
  if (value === undefined || value === '') return { kind: k as AcceptKind };
  return { kind: k as AcceptKind, value: normalizeValue(k as AcceptKind, value) };
}

/** Canonical form of a value of `kind`; throws VIGIL_ERR_USAGE when it cannot be one. */
export function normalizeValue(kind: AcceptKind, raw: string): string {
  const v = raw.trim();
  switch (kind) {
    case 'country': {
      const c = v.toUpperCase();
      if (!/^[A-Z]{2}$/.test(c)) throw usage(`'${raw}' is not a country code; use two letters such as RU or US.`);
      return c;
    }
    case 'asn': {
      const m = /^(?:as)?(\d{1,10})$/i.exec(v);
      if (!m) throw usage(`'${raw}' is not an AS number; use digits such as 13335 or AS13335.`);
      return String(Number(m[1]));
    }
    case 'domain': {
      const d = v.toLowerCase().replace(/\.$/, '');
      if (!d || /[\s/:]/.test(d)) throw usage(`'${raw}' is not a domain name; use one such as example.com.`);
      return d;
    }
    case 'service':
    case 'listener': {
      const s = v.toLowerCase();
      if (s === 'icmp') return s;
      const m = /^(tcp|udp)\/(\d{1,5})(?:-65535)?$/.exec(s);
      const port = m ? Number(m[2]) : NaN;
      if (!m || port > 65535 || (s.endsWith('-65535') && port !== HIGH_PORT)) {
        throw usage(`'${raw}' is not a service; use protocol/port such as tcp/443 or udp/123.`);
      }
      return serviceValue(m[1], port);
    }
    case 'volume': {
      const s = v.toLowerCase();
      if (s === 'out' || s === 'upload' || s === 'sent') return 'out';
      if (s === 'in' || s === 'download' || s === 'received') return 'in';
      throw usage(`'${raw}' is not a direction; use out (upload) or in (download).`);
    }
    case 'hours': {
      const m = /^(\d{1,2})(?::00)?$/.exec(v);
      const h = m ? Number(m[1]) : NaN;
      if (!(h >= 0 && h <= 23)) throw usage(`'${raw}' is not an hour of the day; use 0 to 23, such as 3 or 03:00.`);
      return String(h).padStart(2, '0');
    }
  }
}

/** The device and spec an alert key stands for (`baseline.new_country|aa:…|RU`), for "accept this alert". */
export function acceptSpecForKey(key: string): { device: string; spec: AcceptSpec } | null {
  const parts = key.split('|');
  if (parts.length < 2 || !parts[0].startsWith('baseline.')) return null;
  const what = parts[0].slice('baseline.'.length);
  const device = parts[1];
  const value = parts.slice(2).join('|');
  if (what.startsWith('new_')) {
    const kind = what.slice(4);
    if (!isItemKind(kind) || !value) return null;
    return { device, spec: { kind, value } };
  }
  if (what === 'volume_out' || what === 'volume_in') return { device, spec: { kind: 'volume', value: what.slice(7) } };
  if (what === 'unusual_hour' && value) return { device, spec: { kind: 'hours', value } };
  return null;
}
