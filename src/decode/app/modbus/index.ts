/**
 * Modbus/TCP analyzer (TCP 502): frames MBAP ADUs out of the byte stream, logs one modbus.log
 * record per PDU as Zeek does (requests and responses), and pairs responses with requests by
 * transaction id so a response carries the address range it answered.
 *
 * Port 502 also sees scanners speaking HTTP, TLS, RPC … at it. The MBAP protocol id must be 0 and
 * the length within 2..254; anything else is a weird and the analyzer stops, so such flows are
 * never confirmed as `modbus`.
 */
import type { AppAnalyzer, AppAnalyzerFactory, AppSink, ConnInfo } from '../analyzer.js';
import { exceptionName, functionName, isWriteFunction } from './consts.js';
import { MAX_ADU, MAX_MBAP_LEN, MBAP_PREFIX, MIN_MBAP_LEN, PduFields, parsePdu, u16 } from './parser.js';
import type { ModbusRecord } from './types.js';

export type { ModbusRecord } from './types.js';

/** Outstanding requests per flow; real masters keep a handful in flight. */
const MAX_PENDING = 32;

interface PendingRequest {
  fc: number;
  address: number;
  quantity: number;
  readAddress: number;
  readQuantity: number;
}

class Direction {
  readonly buf: Uint8Array;
  len: number;
  /** After a gap we wait for a segment that starts with a plausible MBAP header. */
  resync: boolean;
  constructor() {
    this.buf = new Uint8Array(MAX_ADU);
    this.len = 0;
    this.resync = false;
  }
}

class ModbusAnalyzer implements AppAnalyzer {
  confirmed: boolean;
  done: boolean;
  private readonly conn: ConnInfo;
  private readonly sink: AppSink;
  private readonly orig: Direction;
  private readonly resp: Direction;
  private readonly pending: Map<number, PendingRequest>;
  private readonly fields: PduFields;

  constructor(conn: ConnInfo, sink: AppSink) {
    this.confirmed = false;
    this.done = false;
    this.conn = conn;
    this.sink = sink;
    this.orig = new Direction();
    this.resp = new Direction();
    this.pending = new Map();
    this.fields = new PduFields();
  }

  deliver(isOrig: boolean, buf: Buffer, off: number, len: number, ts: number): void {
    if (this.done || len <= 0) return;
    const d = isOrig ? this.orig : this.resp;
    let p = off;
    const end = Math.min(off + len, buf.length);
    if (d.resync) {
      // Segments almost always start on an ADU boundary: resume at the first one that does.
      if (end - p < MBAP_PREFIX || !plausibleHeader(buf, p)) {
        this.sink.count('decoder.modbus.resync_skipped');
        return;
      }
      d.resync = false;
    }
    while (p < end && !this.done) {
      if (d.len === 0 && end - p >= MBAP_PREFIX) {
        const mlen = this.checkHeader(buf, p, ts);
        if (mlen < 0) return;
        const total = MBAP_PREFIX + mlen;
        if (end - p >= total) {
          this.handleAdu(isOrig, buf, p, total, ts);
          p += total;
          continue;
        }
      }
      // Partial ADU: buffer it (bounded by MAX_ADU, guaranteed by the header check).
      const want = d.len < MBAP_PREFIX ? MBAP_PREFIX : MBAP_PREFIX + u16(d.buf, 4);
      const n = Math.min(want - d.len, end - p);
      d.buf.set(buf.subarray(p, p + n), d.len);
      d.len += n;
      p += n;
      if (d.len === MBAP_PREFIX && want === MBAP_PREFIX) {
        if (this.checkHeader(d.buf, 0, ts) < 0) return;
        continue;
      }
      if (d.len === want) {
        this.handleAdu(isOrig, d.buf, 0, d.len, ts);
        d.len = 0;
      }
    }
  }

  gap(isOrig: boolean, _len: number): void {
    if (this.done) return;
    const d = isOrig ? this.orig : this.resp;
    d.len = 0;
    d.resync = true;
    this.sink.count('decoder.modbus.gaps');
  }

  finish(_ts: number): void {
    this.pending.clear();
    this.done = true;
  }

  /** Returns the MBAP length field, or -1 after flagging a non-Modbus header (then `done`). */
  private checkHeader(b: Uint8Array, o: number, ts: number): number {
    const pid = u16(b, o + 2);
    if (pid !== 0) {
      this.sink.weird('modbus_invalid_protocol_id', ts, this.conn, String(pid));
      this.done = true;
      return -1;
    }
    const mlen = u16(b, o + 4);
    if (mlen < MIN_MBAP_LEN || mlen > MAX_MBAP_LEN) {
      this.sink.weird('modbus_invalid_length', ts, this.conn, String(mlen));
      this.done = true;
      return -1;
    }
    return mlen;
  }

  private handleAdu(isOrig: boolean, b: Uint8Array, o: number, total: number, ts: number): void {
    // A whole, well-framed ADU with protocol id 0: Zeek confirms on the first one too.
    this.confirmed = true;
    const tid = u16(b, o);
    const unit = b[o + 6];
    const fc = b[o + 7];
    const f = this.fields;
    parsePdu(isOrig, fc, b, o + 8, total - 8, f);
    if (f.truncated) this.sink.weird('modbus_truncated_pdu', ts, this.conn, functionName(fc));

    const rec: ModbusRecord = {
      tid,
      unit,
      func: functionName(fc),
      pdu_type: isOrig ? 'REQ' : 'RESP',
      write: isWriteFunction(fc),
    };
    if (f.exceptionCode >= 0) rec.exception = exceptionName(f.exceptionCode);

    if (isOrig) {
      this.remember(tid, fc, f);
    } else {
      const req = this.pending.get(tid);
      if (req !== undefined) {
        this.pending.delete(tid);
        if (req.fc === (fc & 0x7f)) {
          if (f.address < 0) { f.address = req.address; f.quantity = req.quantity; }
          if (f.readAddress < 0) { f.readAddress = req.readAddress; f.readQuantity = req.readQuantity; }
        }
      } else {
        this.sink.count('decoder.modbus.unmatched_response');
      }
    }
    if (f.address >= 0) rec.address = f.address;
    if (f.quantity >= 0) rec.quantity = f.quantity;
    if (f.readAddress >= 0) rec.read_address = f.readAddress;
    if (f.readQuantity >= 0) rec.read_quantity = f.readQuantity;
    this.sink.log('modbus', ts, this.conn, rec as unknown as Record<string, unknown>);
  }

  private remember(tid: number, fc: number, f: PduFields): void {
    if (!this.pending.has(tid) && this.pending.size >= MAX_PENDING) {
      // Oldest first: Map iterates in insertion order.
      const oldest = this.pending.keys().next();
      if (!oldest.done) this.pending.delete(oldest.value);
      this.sink.count('decoder.modbus.pending_evicted');
    }
    this.pending.set(tid, {
      fc: fc & 0x7f,
      address: f.address,
      quantity: f.quantity,
      readAddress: f.readAddress,
      readQuantity: f.readQuantity,
    });
  }
}

function plausibleHeader(b: Uint8Array, o: number): boolean {
  if (u16(b, o + 2) !== 0) return false;
  const mlen = u16(b, o + 4);
  return mlen >= MIN_MBAP_LEN && mlen <= MAX_MBAP_LEN;
}

export function createModbusFactory(): AppAnalyzerFactory {
  return {
    service: 'modbus',
    tcp: true,
    udp: false,
    ports: [502],
    create(conn: ConnInfo, sink: AppSink): AppAnalyzer {
      return new ModbusAnalyzer(conn, sink);
    },
  };
}
