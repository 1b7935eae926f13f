/**
 * DNP3 over TCP (port 20000): link-layer frames (0x05 0x64 start, header CRC, user data in
 * 16-byte chunks each followed by a CRC), the one-byte transport header (FIR/FIN/sequence), and
 * the application header (control, function code, IIN on responses). Logs Zeek's dnp3.log: one
 * row per request/response pair.
 *
 * Only the application header is needed for the log, so a fragment spanning several link frames
 * keeps its first 4 bytes, not the whole fragment.
 *
 * Deviations from Zeek, on purpose: a request that gets no response before the next request is
 * logged on its own (Zeek overwrites it, losing e.g. DIRECT_OPERATE_NR writes); an unsolicited
 * response is logged on its own instead of being paired with an unrelated pending request; after a
 * TCP gap we resynchronise on the next valid frame header instead of giving up.
 */
import type { AppAnalyzer, AppAnalyzerFactory, AppSink, ConnInfo } from '../analyzer.js';
import { crcOk, functionName } from './consts.js';
import type { Dnp3Record } from './types.js';

export type { Dnp3Record } from './types.js';

const HEADER_LEN = 10;
/** Link length 255 → 250 bytes of user data + 16 chunk CRCs. */
const MAX_FRAME = HEADER_LEN + 250 + 2 * 16;
const FC_RESPONSE = 0x81;
const FC_UNSOLICITED = 0x82;

class Direction {
  readonly frame: Uint8Array;
  len: number;
  /** Total bytes of the frame being read, known once the header is complete. */
  total: number;
  /** Inside an application fragment (FIR seen, FIN not yet). */
  inFragment: boolean;
  /** First bytes of the current application fragment (control, fc, IIN1, IIN2). */
  readonly app: Uint8Array;
  appLen: number;
  resync: boolean;
  constructor() {
    this.frame = new Uint8Array(MAX_FRAME);
    this.len = 0;
    this.total = 0;
    this.inFragment = false;
    this.app = new Uint8Array(4);
    this.appLen = 0;
    this.resync = false;
  }
}

class Dnp3Analyzer implements AppAnalyzer {
  confirmed: boolean;
  done: boolean;
  private readonly conn: ConnInfo;
  private readonly sink: AppSink;
  private readonly orig: Direction;
  private readonly resp: Direction;
  /** Request waiting for its response: function code and time, or -1. */
  private pendingFc: number;
  private pendingTs: number;
  private directionWeird: boolean;
  private missingFirstWeird: boolean;

  constructor(conn: ConnInfo, sink: AppSink) {
    this.confirmed = false;
    this.done = false;
    this.conn = conn;
    this.sink = sink;
    this.orig = new Direction();
    this.resp = new Direction();
    this.pendingFc = -1;
    this.pendingTs = 0;
    this.directionWeird = false;
    this.missingFirstWeird = false;
  }

  deliver(isOrig: boolean, buf: Buffer, off: number, len: number, ts: number): void {
    if (this.done || len <= 0) return;
    const d = isOrig ? this.orig : this.resp;
    let p = off;
    const end = Math.min(off + len, buf.length);
    while (p < end && !this.done) {
      if (d.resync && d.len === 0) {
        while (p < end && buf[p] !== 0x05) p++;
        if (p >= end) return;
      }
      const want = d.len < HEADER_LEN ? HEADER_LEN : d.total;
      const n = Math.min(want - d.len, end - p);
      d.frame.set(buf.subarray(p, p + n), d.len);
      d.len += n;
      p += n;
      if (d.len < want) return;
      if (want === HEADER_LEN) {
        if (!this.checkHeader(isOrig, d, ts)) continue;
        if (d.total > HEADER_LEN) continue;
        // Link-layer only frame (reset link, link status …): nothing for the application layer.
        d.len = 0;
        continue;
      }
      this.handleFrame(isOrig, d, ts);
      d.len = 0;
    }
  }

  gap(isOrig: boolean, _len: number): void {
    if (this.done) return;
    const d = isOrig ? this.orig : this.resp;
    d.len = 0;
    d.inFragment = false;
    d.appLen = 0;
    d.resync = true;
    this.sink.count('decoder.dnp3.gaps');
  }

  finish(_ts: number): void {
    if (this.pendingFc >= 0) this.emit(this.pendingTs, this.pendingFc, -1, 0);
    this.pendingFc = -1;
    this.done = true;
  }

  /** Validates a complete 10-byte header; on success sets `d.total`. */
  private checkHeader(isOrig: boolean, d: Direction, ts: number): boolean {
    const f = d.frame;
    let bad = '';
    if (f[0] !== 0x05 || f[1] !== 0x64) bad = 'dnp3_header_lacks_magic';
    else if (!crcOk(f, 0, 8, 8)) bad = 'dnp3_corrupt_header_checksum';
    else if (f[2] < 5) bad = 'dnp3_invalid_link_length';
    if (bad !== '') {
      d.len = 0;
      if (d.resync) return false; // still hunting for the next real frame after a gap
      this.sink.weird(bad, ts, this.conn);
      this.done = true;
      return false;
    }
    // Start bytes plus a correct CRC: as certain as Zeek needs to be.
    this.confirmed = true;
    d.resync = false;
    const n = f[2] - 5;
    d.total = HEADER_LEN + n + 2 * Math.ceil(n / 16);
    // DIR bit: set on frames from the master, which should be our originator.
    if (isOrig !== ((f[3] & 0x80) !== 0) && !this.directionWeird) {
      this.directionWeird = true;
      this.sink.weird('dnp3_unexpected_flow_direction', ts, this.conn);
    }
    return true;
  }

  private handleFrame(isOrig: boolean, d: Direction, ts: number): void {
    const f = d.frame;
    let pos = HEADER_LEN;
    let first = true;
    let fin = false;
    while (pos < d.total) {
      const c = Math.min(16, d.total - pos - 2);
      if (!crcOk(f, pos, c, pos + c)) {
        this.sink.weird('dnp3_corrupt_app_chunk_checksum', ts, this.conn);
        this.done = true;
        return;
      }
      let i = pos;
      if (first) {
        first = false;
        const th = f[pos];
        fin = (th & 0x80) !== 0;
        if (th & 0x40) {
          d.inFragment = true;
          d.appLen = 0;
        } else if (!d.inFragment) {
          if (!this.missingFirstWeird) {
            this.missingFirstWeird = true;
            this.sink.weird('dnp3_first_application_layer_chunk_missing', ts, this.conn);
          }
          return;
        }
        i++;
      }
      for (; i < pos + c && d.appLen < 4; i++) d.app[d.appLen++] = f[i];
      pos += c + 2;
    }
    if (fin && d.inFragment) {
      d.inFragment = false;
      this.handleApp(isOrig, d, ts);
    }
  }

  private handleApp(isOrig: boolean, d: Direction, ts: number): void {
    if (isOrig) {
      if (d.appLen < 2) {
        this.sink.weird('dnp3_truncated_application_header', ts, this.conn);
        return;
      }
      if (this.pendingFc >= 0) this.emit(this.pendingTs, this.pendingFc, -1, 0);
      this.pendingFc = d.app[1];
      this.pendingTs = ts;
      return;
    }
    if (d.appLen < 4) {
      this.sink.weird('dnp3_truncated_application_header', ts, this.conn);
      return;
    }
    const fc = d.app[1];
    const iin = (d.app[2] << 8) | d.app[3];
    if (fc === FC_UNSOLICITED || this.pendingFc < 0) {
      this.emit(ts, -1, fc, iin);
      return;
    }
    if (fc !== FC_RESPONSE) this.sink.count('decoder.dnp3.unusual_reply_fc');
    this.emit(this.pendingTs, this.pendingFc, fc, iin);
    this.pendingFc = -1;
  }

  private emit(ts: number, fcRequest: number, fcReply: number, iin: number): void {
    const rec: Dnp3Record = {};
    if (fcRequest >= 0) rec.fc_request = functionName(fcRequest);
    if (fcReply >= 0) {
      rec.fc_reply = functionName(fcReply);
      rec.iin = iin;
    }
    this.sink.log('dnp3', ts, this.conn, rec as Record<string, unknown>);
  }
}

/** A frame start: magic plus a header CRC that checks out. */
function sniffDnp3(b: Uint8Array, off: number, len: number): boolean {
  return len >= HEADER_LEN && b[off] === 0x05 && b[off + 1] === 0x64 && b[off + 2] >= 5 && crcOk(b, off, 8, off + 8);
}

export function createDnp3Factory(): AppAnalyzerFactory {
  return {
    service: 'dnp3',
    tcp: true,
    udp: false,
    ports: [20000],
    sniff(_isOrig: boolean, buf: Buffer, off: number, len: number): boolean {
      return off + len <= buf.length && sniffDnp3(buf, off, len);
    },
    create(conn: ConnInfo, sink: AppSink): AppAnalyzer {
      return new Dnp3Analyzer(conn, sink);
    },
  };
}
