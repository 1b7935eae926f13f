/**
 * A pure DNS message parser (RFC 1035 wire format, also used by mDNS and LLMNR).
 *
 * It reads one message from `(buf, off, len)` into a reused `DnsMessage` and renders only what
 * dns.log keeps: the last question (Zeek overwrites `query` once per question), the answer
 * section as Zeek's script renders it, and, on request, the names an mDNS responder announces.
 * Authority and additional sections are walked only when those names are wanted.
 *
 * Caps (reliability.md R7): names ≤ 255 bytes, ≤ 128 compression jumps (and every jump must point
 * before the pointer itself, with the scan then bounded by that pointer, so loops cannot happen
 * even below the cap), ≤ 64 RRs per section, ≤ 25 questions (Zeek's `dns_max_queries`).
 */
import { hex, safeString } from '../../../util/text.js';
import { ipv4String, ipv6String } from './addr.js';
import * as C from './consts.js';

/** Where the parser reports anomalies; the analyzer binds it to the sink, time and flow. */
export interface DnsReport {
  weird(name: string, addl?: string): void;
  count(name: string): void;
}

export const MAX_NAME_BYTES = 255;
export const MAX_POINTER_JUMPS = 128;
export const MAX_RRS_PER_SECTION = 64;
export const MAX_QUESTIONS = 25;
export const MAX_MDNS_NAMES = 32;
/** TXT char-strings rendered per RR; each is ≤ 255 bytes by the wire format. */
export const MAX_TXT_STRINGS = 4;
const MAX_SSHFP_BYTES = 64;
const HEADER_LEN = 12;

/** How far a message parsed. */
export const enum DnsStatus {
  /** Shorter than a header, or a header whose question count is absurd. */
  Bad = 0,
  /** Header read, but the question section is broken. */
  Header = 1,
  /** Header and questions read; the answer section is broken or cut (TCP partial). */
  Questions = 2,
  /** Header, questions and answer section all read. */
  Complete = 3,
}

const SECTION_ANSWER = 0;
const SECTION_AUTH = 1;
const SECTION_ADDL = 2;

export class DnsMessage {
  status: DnsStatus = DnsStatus.Bad;
  id = 0;
  qr = false;
  opcode = 0;
  aa = false;
  tc = false;
  rd = false;
  ra = false;
  z = 0;
  rcode = 0;
  qdcount = 0;
  ancount = 0;
  nscount = 0;
  arcount = 0;
  /** Questions successfully read. */
  questions = 0;
  /** Last question, lower-cased as Zeek logs it; undefined when there is none. */
  query: string | undefined = undefined;
  qtype = 0;
  qclass = 0;
  /** Answer-section RRs Zeek's script reports (those that set query/AA/RA even without text). */
  replies = 0;
  /** Owner name of the first reported answer RR (Zeek's `ans$query`), lower-cased. */
  firstReplyName: string | undefined = undefined;
  answers: string[] | null = null;
  ttls: number[] | null = null;
  /** mDNS: instance and host names announced in any section, original case, de-duplicated. */
  names: string[] | null = null;

  reset(): void {
    this.status = DnsStatus.Bad;
    this.id = 0;
    this.qr = false;
    this.opcode = 0;
    this.aa = false;
    this.tc = false;
    this.rd = false;
    this.ra = false;
    this.z = 0;
    this.rcode = 0;
    this.qdcount = 0;
    this.ancount = 0;
    this.nscount = 0;
    this.arcount = 0;
    this.questions = 0;
    this.query = undefined;
    this.qtype = 0;
    this.qclass = 0;
    this.replies = 0;
    this.firstReplyName = undefined;
    this.answers = null;
    this.ttls = null;
    this.names = null;
  }
}

/**
 * Scratch for the name being decoded. Parsing is synchronous and single-threaded, so one buffer
 * serves every parser; the slack lets a label overrun the cap before we notice.
 */
const NAME = new Uint8Array(MAX_NAME_BYTES + 64);

export class DnsParser {
  readonly msg = new DnsMessage();
  private report: DnsReport | null = null;
  /** TCP message cut at our buffer cap: running out of bytes is expected, not an anomaly. */
  private partial = false;
  private wantNames = false;
  private nameLen = 0;
  private nameTooLong = false;

  /**
   * Parses one message. `wantNames` walks every section for mDNS names; `partial` marks a
   * message we only hold the head of. Returns the reused message object.
   */
  parse(buf: Buffer, off: number, len: number, wantNames: boolean, partial: boolean, report: DnsReport): DnsMessage {
    const m = this.msg;
    m.reset();
    this.report = report;
    this.partial = partial;
    this.wantNames = wantNames;
    let end = off + len;
    if (end > buf.length) end = buf.length;
    if (off < 0 || end - off < HEADER_LEN) {
      report.weird('dns_truncated_len_lt_hdr_len');
      return m;
    }
    const flags = (buf[off + 2] << 8) | buf[off + 3];
    m.id = (buf[off] << 8) | buf[off + 1];
    m.qr = (flags & 0x8000) !== 0;
    m.opcode = (flags >> 11) & 0xf;
    m.aa = (flags & 0x0400) !== 0;
    m.tc = (flags & 0x0200) !== 0;
    m.rd = (flags & 0x0100) !== 0;
    m.ra = (flags & 0x0080) !== 0;
    m.z = (flags >> 4) & 0x7;
    m.rcode = flags & 0xf;
    m.qdcount = (buf[off + 4] << 8) | buf[off + 5];
    m.ancount = (buf[off + 6] << 8) | buf[off + 7];
    m.nscount = (buf[off + 8] << 8) | buf[off + 9];
    m.arcount = (buf[off + 10] << 8) | buf[off + 11];
    if (m.qdcount > MAX_QUESTIONS) {
      // Mostly non-DNS bytes on a DNS port; Zeek gives up on the message the same way.
      report.weird('dns_conn_count_too_large', String(m.qdcount));
      return m;
    }
    m.status = DnsStatus.Header;

    let p = off + HEADER_LEN;
    for (let i = 0; i < m.qdcount; i++) {
      const q = this.readName(buf, off, end, p);
      if (q < 0) return m;
      if (q + 4 > end) {
        this.weird('dns_truncated_quest_too_short');
        return m;
      }
      m.qtype = (buf[q] << 8) | buf[q + 1];
      m.qclass = (buf[q + 2] << 8) | buf[q + 3];
      m.questions++;
      p = q + 4;
    }
    // NAME still holds the last question: only that one becomes a string.
    if (m.questions > 0) m.query = this.nameString(true);
    m.status = DnsStatus.Questions;

    p = this.section(buf, off, end, p, m.ancount, SECTION_ANSWER);
    if (p < 0) return m;
    m.status = DnsStatus.Complete;
    if (!wantNames) return m;
    p = this.section(buf, off, end, p, m.nscount, SECTION_AUTH);
    if (p < 0) return m;
    this.section(buf, off, end, p, m.arcount, SECTION_ADDL);
    return m;
  }

  private weird(name: string, addl?: string): void {
    if (!this.partial && this.report !== null) this.report.weird(name, addl);
  }

  private count(name: string): void {
    if (this.report !== null) this.report.count(name);
  }

  /** Parses `n` RRs from `p`; returns the position after them, or -1 if the message broke. */
  private section(buf: Buffer, base: number, end: number, p: number, n: number, section: number): number {
    let todo = n;
    if (todo > MAX_RRS_PER_SECTION) {
      this.count('decoder.dns.rrs_capped');
      todo = MAX_RRS_PER_SECTION;
    }
    for (let i = 0; i < todo; i++) {
      p = this.rr(buf, base, end, p, section);
      if (p < 0) return -1;
    }
    // Later sections cannot be found without walking the RRs we skipped.
    return todo < n ? -1 : p;
  }

  /** One resource record; returns the position after its rdata, or -1. */
  private rr(buf: Buffer, base: number, end: number, p: number, section: number): number {
    const owner = p;
    const q = this.readName(buf, base, end, p);
    if (q < 0) return -1;
    if (q + 10 > end) {
      this.weird('dns_truncated_ans_too_short');
      return -1;
    }
    const type = (buf[q] << 8) | buf[q + 1];
    const ttl = ((buf[q + 4] << 24) | (buf[q + 5] << 16) | (buf[q + 6] << 8) | buf[q + 7]) >>> 0;
    const rdlen = (buf[q + 8] << 8) | buf[q + 9];
    const rd = q + 10;
    if (rd + rdlen > end) {
      this.weird('dns_truncated_rr_rdlength_lt_len');
      return -1;
    }
    const m = this.msg;
    if (section === SECTION_ANSWER && m.qr && m.opcode !== C.OPCODE_UPDATE) {
      this.answer(buf, base, owner, type, ttl, rd, rdlen);
    }
    if (this.wantNames) this.announced(buf, base, owner, type, rd, rdlen);
    return rd + rdlen;
  }

  /** Renders an answer-section RR the way Zeek's dns/main.zeek does. */
  private answer(buf: Buffer, base: number, owner: number, type: number, ttl: number, rd: number, rdlen: number): void {
    const rdEnd = rd + rdlen;
    let text: string | null = null;
    let reported = true;
    switch (type) {
      case C.TYPE_A:
        if (rdlen === 4) text = ipv4String(buf, rd);
        else { this.weird('dns_rr_bad_length', 'A'); reported = false; }
        break;
      case C.TYPE_AAAA:
        if (rdlen === 16) text = ipv6String(buf, rd);
        else { this.weird('dns_rr_bad_length', 'AAAA'); reported = false; }
        break;
      case C.TYPE_NS:
      case C.TYPE_CNAME:
      case C.TYPE_PTR:
      case C.TYPE_SOA:
        text = this.rdataName(buf, base, rd, rdEnd);
        break;
      case C.TYPE_MX:
        text = rdlen > 2 ? this.rdataName(buf, base, rd + 2, rdEnd) : null;
        break;
      case C.TYPE_SRV:
        text = rdlen > 6 ? this.rdataName(buf, base, rd + 6, rdEnd) : null;
        break;
      case C.TYPE_TXT:
        text = this.txt(buf, rd, rdEnd, 'TXT ');
        break;
      case C.TYPE_SPF:
        text = this.txt(buf, rd, rdEnd, 'SPF ');
        break;
      case C.TYPE_NAPTR:
        text = this.naptr(buf, base, rd, rdEnd);
        break;
      case C.TYPE_RRSIG:
        if (rdlen >= 18) {
          const signer = this.rdataName(buf, base, rd + 18, rdEnd);
          if (signer !== null) text = 'RRSIG ' + ((buf[rd] << 8) | buf[rd + 1]) + ' ' + (signer === '' ? '<Root>' : signer);
        }
        break;
      case C.TYPE_DNSKEY:
        if (rdlen >= 4) text = 'DNSKEY ' + buf[rd + 3];
        break;
      case C.TYPE_NSEC: {
        const next = this.rdataName(buf, base, rd, rdEnd);
        if (next !== null) {
          this.readName(buf, base, rd, owner);
          text = 'NSEC ' + this.nameString(true) + ' ' + next;
        }
        break;
      }
      case C.TYPE_NSEC3:
        text = 'NSEC3';
        break;
      case C.TYPE_NSEC3PARAM:
        text = 'NSEC3PARAM';
        break;
      case C.TYPE_DS:
        if (rdlen >= 4) text = 'DS ' + buf[rd + 2] + ' ' + buf[rd + 3];
        break;
      case C.TYPE_SSHFP:
        if (rdlen >= 2) text = 'SSHFP: ' + hex(buf, rd + 2, Math.min(rdlen - 2, MAX_SSHFP_BYTES));
        break;
      case C.TYPE_LOC:
        if (rdlen >= 16) text = 'LOC:  ' + buf[rd + 1] + ' ' + buf[rd + 2] + ' ' + buf[rd + 3];
        break;
      case C.TYPE_BINDS:
        text = 'BIND9 signing signal';
        break;
      case C.TYPE_WKS:
        // Zeek reports it with empty text: it counts as an answer but adds nothing.
        break;
      case C.TYPE_HINFO:
      case C.TYPE_CAA:
      case C.TYPE_OPT:
      case C.TYPE_TSIG:
      case C.TYPE_A6:
        reported = false;
        break;
      default:
        this.count('decoder.dns.rr_unknown_type');
        text = '<unknown type=' + type + '>';
    }
    if (!reported) return;
    const m = this.msg;
    if (m.replies++ === 0) {
      this.readName(buf, base, rd, owner);
      m.firstReplyName = this.nameString(true);
    }
    if (text === null) return;
    if (m.answers === null || m.ttls === null) {
      m.answers = [];
      m.ttls = [];
    }
    m.answers.push(text);
    m.ttls.push(ttl);
  }

  /** A domain name inside rdata, lower-cased; null (with a weird) when it is broken. */
  private rdataName(buf: Buffer, base: number, pos: number, rdEnd: number): string | null {
    const q = this.readName(buf, base, rdEnd, pos);
    if (q < 0) return null;
    return this.nameString(true);
  }

  private txt(buf: Buffer, p: number, rdEnd: number, tag: string): string {
    let s = '';
    let n = 0;
    while (p < rdEnd) {
      const l = buf[p];
      if (p + 1 + l > rdEnd) {
        this.weird('dns_txt_char_str_past_rdlen');
        break;
      }
      if (n === MAX_TXT_STRINGS) {
        this.count('decoder.dns.txt_strings_capped');
        break;
      }
      if (n > 0) s += ' ';
      s += tag + l + ' ' + safeString(buf, p + 1, l);
      n++;
      p += 1 + l;
    }
    return s;
  }

  private naptr(buf: Buffer, base: number, rd: number, rdEnd: number): string | null {
    if (rd + 4 > rdEnd) return null;
    let p = rd + 4;
    let parts = '';
    let regexp = '';
    for (let i = 0; i < 3; i++) {
      if (p >= rdEnd || p + 1 + buf[p] > rdEnd) {
        this.weird('dns_naptr_char_str_past_rdlen');
        return null;
      }
      const s = safeString(buf, p + 1, buf[p]);
      if (i < 2) parts += ' ' + s;
      else regexp = s;
      p += 1 + buf[p];
    }
    const replacement = this.rdataName(buf, base, p, rdEnd);
    if (replacement === null) return null;
    let tail = regexp;
    if (replacement.length > 0) tail += (tail.length > 0 ? ' ' : '') + replacement;
    return 'NAPTR ' + ((buf[rd] << 8) | buf[rd + 1]) + ' ' + ((buf[rd + 2] << 8) | buf[rd + 3]) + parts + ' ' + tail;
  }

  /**
   * mDNS: keeps instance names (PTR targets, SRV/TXT owners) and host names (A/AAAA owners, SRV
   * targets, reverse-PTR targets). Service types (`_ipp._tcp.local`) and `.arpa` names say
   * nothing about the device, so they are left out.
   */
  private announced(buf: Buffer, base: number, owner: number, type: number, rd: number, rdlen: number): void {
    const rdEnd = rd + rdlen;
    switch (type) {
      case C.TYPE_A:
      case C.TYPE_AAAA:
      case C.TYPE_TXT:
        if (this.readName(buf, base, rd, owner) >= 0) this.keepName();
        break;
      case C.TYPE_PTR:
        if (this.readName(buf, base, rdEnd, rd) >= 0) this.keepName();
        break;
      case C.TYPE_SRV:
        if (this.readName(buf, base, rd, owner) >= 0) this.keepName();
        if (rd + 6 < rdEnd && this.readName(buf, base, rdEnd, rd + 6) >= 0) this.keepName();
        break;
      default:
        break;
    }
  }

  private keepName(): void {
    const n = this.nameLen;
    if (n === 0 || NAME[0] === 0x5f) return;
    if (n >= 5 && NAME[n - 5] === 0x2e && (NAME[n - 4] | 0x20) === 0x61 && (NAME[n - 3] | 0x20) === 0x72
      && (NAME[n - 2] | 0x20) === 0x70 && (NAME[n - 1] | 0x20) === 0x61) return;
    const m = this.msg;
    const s = this.nameString(false);
    if (m.names === null) m.names = [];
    else if (m.names.includes(s)) return;
    if (m.names.length >= MAX_MDNS_NAMES) {
      this.count('decoder.dns.mdns_names_capped');
      return;
    }
    m.names.push(s);
  }

  /**
   * Decodes the name at `pos` into NAME (labels joined by '.', no trailing dot, root = empty).
   * `base` is the message start (pointers are relative to it); in-line labels must end before
   * `limit`. Returns the position just after the name where it started, or -1 (with a weird).
   */
  private readName(buf: Buffer, base: number, limit: number, pos: number): number {
    let p = pos;
    let end = limit;
    let next = -1;
    let jumps = 0;
    let n = 0;
    this.nameTooLong = false;
    for (;;) {
      if (p >= end) {
        this.weird('dns_label_len_gt_pkt');
        this.nameLen = n;
        return -1;
      }
      const c = buf[p];
      if (c === 0) {
        if (next < 0) next = p + 1;
        break;
      }
      if ((c & 0xc0) === 0xc0) {
        if (p + 1 >= end) {
          this.weird('dns_label_len_gt_pkt');
          this.nameLen = n;
          return -1;
        }
        const target = base + (((c & 0x3f) << 8) | buf[p + 1]);
        if (next < 0) next = p + 2;
        if (this.nameTooLong) break;
        if (target >= p) {
          this.weird('dns_label_forward_compress_offset');
          this.nameLen = n;
          return -1;
        }
        if (++jumps > MAX_POINTER_JUMPS) {
          this.count('decoder.dns.pointer_jumps_capped');
          this.weird('dns_name_too_many_pointers');
          this.nameLen = n;
          return -1;
        }
        // Whatever the pointer leads to must end before the pointer: no way back to it.
        end = p;
        p = target;
        continue;
      }
      if ((c & 0xc0) !== 0) {
        this.weird('dns_label_bad_type', String(c >> 6));
        this.nameLen = n;
        return -1;
      }
      if (p + 1 + c > end) {
        this.weird('dns_label_len_gt_pkt');
        this.nameLen = n;
        return -1;
      }
      if (!this.nameTooLong) {
        const need = (n > 0 ? 1 : 0) + c;
        if (n + need > MAX_NAME_BYTES) {
          this.nameTooLong = true;
          this.count('decoder.dns.name_too_long');
          this.weird('dns_name_too_long');
          // The rest is walked only to find where the name ends in the stream.
          if (next >= 0) break;
        } else {
          if (n > 0) NAME[n++] = 0x2e;
          for (let i = 0; i < c; i++) NAME[n + i] = buf[p + 1 + i];
          n += c;
        }
      }
      p += 1 + c;
    }
    this.nameLen = n;
    return next;
  }

  /** The decoded name as a kept string; `lower` folds ASCII A-Z as Zeek does (in place). */
  private nameString(lower: boolean): string {
    const n = this.nameLen;
    if (lower) {
      for (let i = 0; i < n; i++) {
        const c = NAME[i];
        if (c >= 0x41 && c <= 0x5a) NAME[i] = c | 0x20;
      }
    }
    return safeString(NAME, 0, n, MAX_NAME_BYTES);
  }
}
