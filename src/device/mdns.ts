/**
 * What an mDNS dns.log record says about the host that SENT it: its host names, service instance
 * names, the service types it offers, and TXT strings that describe its hardware.
 *
 * The trap is attribution. The DNS analyzer merges a query and a reply with the same id on one
 * flow into one record, and an mDNS query carries "known answers" about OTHER hosts. So:
 * - `answers` come only from reply messages (the answer section of responses): always the
 *   sender's own records;
 * - `mdns_names` (every section of every message) are trusted whole only for a pure reply (no
 *   question was merged in: `qtype` absent) or a probe (an ANY query, whose authority section
 *   holds the prober's own proposed records); otherwise a name counts only when a reply's answers
 *   confirm it;
 * - the `query` field is what the host ASKED for (a phone browsing `_googlecast._tcp`), not what it
 *   offers, except in a pure reply, where it is the owner of the first answer.
 */
import type { LogFields } from '../decode/app/analyzer.js';

export interface MdnsFacts {
  /** Host names without `.local`, e.g. `Johns-iMac`. */
  readonly hosts: string[];
  /** Service instance labels, e.g. `John’s iMac`, `Living Room TV`. */
  readonly instances: string[];
  /** Service types, lower case, e.g. `_googlecast._tcp.local`. */
  readonly services: string[];
  /** TXT `key=value` strings that identify hardware (`model=`, `md=`, `ty=` …). */
  readonly txt: string[];
}

/** TXT keys that describe the device: Apple model, Google Cast model, printer model. */
const TXT_KEYS = /^(model|rpmd|md|ty|usb_mdl|am|mdl|product)=/i;
/** TXT key that carries a friendly name (Google Cast `fn=Living Room TV`). */
const TXT_NAME = /^fn=(.+)$/i;
const SERVICE = /^(_[^.]+\._(?:tcp|udp)\.local)$/i;
const INSTANCE = /^(.+?)\.(?:_sub\.)?(_[^.]+\._(?:tcp|udp)\.local)$/i;
const HOST = /^([^.]+)\.local$/i;

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function pushUnique(list: string[], v: string): void {
  const l = v.toLowerCase();
  if (!list.some((x) => x.toLowerCase() === l)) list.push(v);
}

/** Classifies one `.local` name into the facts lists. */
function addName(out: MdnsFacts, name: string): void {
  let m = SERVICE.exec(name);
  if (m) {
    pushUnique(out.services, m[1].toLowerCase());
    return;
  }
  m = INSTANCE.exec(name);
  if (m) {
    if (!m[1].startsWith('_')) pushUnique(out.instances, m[1]);
    pushUnique(out.services, m[2].toLowerCase());
    return;
  }
  m = HOST.exec(name);
  if (m) pushUnique(out.hosts, m[1]);
}

/** Splits Zeek's TXT rendering `TXT 14 model=iMac17,1 TXT 10 osxvers=17` into its strings. */
function txtStrings(answer: string): string[] {
  return answer.split(/(?:^| )TXT \d+ /).filter((s) => s.length > 0);
}

/**
 * Facts about the sender of an mDNS record, or null when the record tells nothing about it
 * (a plain query). `f` is a dns.log record from port 5353.
 */
export function mdnsFacts(f: LogFields): MdnsFacts | null {
  const answers = strings(f.answers);
  const names = strings(f.mdns_names);
  const replySeen = f.rcode !== undefined || answers.length > 0;
  const pureReply = replySeen && f.qtype === undefined;
  const probe = !replySeen && f.qtype === 255;
  if (answers.length === 0 && !pureReply && !probe) return null;
  const out: MdnsFacts = { hosts: [], instances: [], services: [], txt: [] };
  const confirmed = new Set<string>();
  for (const a of answers) {
    if (a.startsWith('TXT ')) {
      for (const s of txtStrings(a)) {
        if (TXT_KEYS.test(s)) pushUnique(out.txt, s);
        const fn = TXT_NAME.exec(s);
        if (fn) pushUnique(out.instances, fn[1]);
      }
      continue;
    }
    // Instance names may hold spaces and colons; every name worth keeping ends in .local.
    const l = a.toLowerCase();
    if (l.endsWith('.local')) confirmed.add(l);
  }
  // Original-case names first (answers are rendered in lower case), then what only answers hold.
  for (const n of names) {
    if (pureReply || probe || confirmed.has(n.toLowerCase())) {
      addName(out, n);
      confirmed.delete(n.toLowerCase());
    }
  }
  for (const a of confirmed) addName(out, a);
  if (pureReply && typeof f.query === 'string' && SERVICE.test(f.query)) pushUnique(out.services, f.query.toLowerCase());
  return out;
}
