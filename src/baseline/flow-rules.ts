/**
 * Which flows teach a baseline what, and how a flow's port becomes a baseline value. Pure
 * functions of one FlowRow field or two: the per-flow path calls them without allocating, except
 * for the value string of a port (one short string per flow that reaches a service check).
 */
import type { BaselineKind } from '../store/store.js';

/**
 * TCP states in which the responder completed the handshake (Zeek conn_state): the connection was
 * really established, so the remote side (or the device, for a listener) accepted it.
 */
const ESTABLISHED = new Set(['SF', 'S1', 'S2', 'S3', 'RSTO', 'RSTR']);

/**
 * An outbound flow that got an answer. TCP: an established state, or OTH with packets both ways
 * (a connection already open when the capture started). Other protocols: any reply packet.
 * A SYN that got no answer or a reset is an attempt, not something the device "uses".
 */
export function answered(proto: string, connState: string, origPkts: number, respPkts: number): boolean {
  if (proto === 'tcp') return ESTABLISHED.has(connState) || (connState === 'OTH' && origPkts > 0 && respPkts > 0);
  return respPkts > 0;
}

/**
 * An inbound flow the device accepted: TCP handshake completed (midstream OTH is not enough: its
 * direction is a guess), UDP answered. ICMP is not a listener.
 */
export function acceptedByResponder(proto: string, connState: string, respPkts: number): boolean {
  if (proto === 'tcp') return ESTABLISHED.has(connState);
  if (proto === 'udp') return respPkts > 0;
  return false;
}

/**
 * Ports from here up are one baseline value per protocol (`udp/32768-65535`). Linux picks
 * ephemeral ports from 32768, Windows and IANA's dynamic range from 49152: a device using such a
 * port as a "service" is doing peer-to-peer (WebRTC, games, STUN), and each new random port would
 * otherwise be a new alert. The first high-port use still alerts once, with the port as evidence.
 */
export const HIGH_PORT = 32768;
export const HIGH_PORT_RANGE = `${HIGH_PORT}-65535`;

/** `tcp/443`, `udp/123`, `tcp/32768-65535`, `icmp` (ICMP "ports" are type/code, not services). */
export function serviceValue(proto: string, port: number): string {
  if (proto === 'icmp') return 'icmp';
  if (port >= HIGH_PORT) return `${proto}/${HIGH_PORT_RANGE}`;
  return `${proto}/${port}`;
}

/**
 * Services every internet-connected device may start using without it meaning much (web, DNS,
 * DNS over TLS, NTP, QUIC): new ones still alert, at low severity.
 */
export const EVERYDAY_SERVICES: ReadonlySet<string> = new Set(['tcp/80', 'tcp/443', 'udp/443', 'udp/53', 'tcp/53', 'tcp/853', 'udp/123']);

/** A unicast MAC (the group bit of the first octet clear): only a single device can listen. */
export function isUnicastMac(mac: string): boolean {
  if (mac.length < 2) return false;
  const first = parseInt(mac.slice(0, 2), 16);
  return Number.isFinite(first) && (first & 1) === 0 && mac !== '00:00:00:00:00:00';
}

/** The kinds a device learns as sets of values ('ip' stays evidence only: see baselines.ts). */
export const ITEM_KINDS = ['country', 'asn', 'domain', 'service', 'listener'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];
export const KIND_INDEX: Readonly<Record<ItemKind, number>> = { country: 0, asn: 1, domain: 2, service: 3, listener: 4 };

export function isItemKind(k: string): k is ItemKind {
  return (ITEM_KINDS as readonly string[]).includes(k);
}

export function isBaselineKind(k: string): k is BaselineKind {
  return isItemKind(k) || k === 'ip';
}

/** Alert codes by what deviated. */
export const ITEM_CODES: Readonly<Record<ItemKind, string>> = {
  country: 'baseline.new_country',
  asn: 'baseline.new_asn',
  domain: 'baseline.new_domain',
  service: 'baseline.new_service',
  listener: 'baseline.new_listener',
};

/** Dedup keys: one per device and item, per device and direction (volume), per device and hour of day. */
export function itemKey(kind: ItemKind, device: string, value: string): string {
  return `${ITEM_CODES[kind]}|${device}|${value}`;
}
export function volumeKey(dir: 'out' | 'in', device: string): string {
  return `baseline.volume_${dir}|${device}`;
}
export function hourKey(device: string, hourOfDay: number): string {
  return `baseline.unusual_hour|${device}|${String(hourOfDay).padStart(2, '0')}`;
}
