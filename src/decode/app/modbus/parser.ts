/**
 * Modbus/TCP framing and the few PDU fields we keep (Modbus Application Protocol v1.1b3 and
 * Modbus Messaging on TCP/IP v1.0b). Pure functions over `(buf, off, len)`; nothing here throws.
 *
 * ADU = MBAP header (tid u16, protocol id u16 = 0, length u16 = bytes after it, unit u8) + PDU
 * (function code u8 + data). Big-endian throughout.
 */

/** Bytes before the MBAP length field's payload: tid, pid, len. */
export const MBAP_PREFIX = 6;
/** Largest legal ADU: 7-byte MBAP + 253-byte PDU. */
export const MAX_ADU = 260;
/** MBAP length counts unit id + PDU: at least unit + function code, at most unit + 253. */
export const MIN_MBAP_LEN = 2;
export const MAX_MBAP_LEN = 254;

export function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

/** The fields of one PDU we log; -1 means "not present in this PDU". Reused across PDUs. */
export class PduFields {
  address: number;
  quantity: number;
  readAddress: number;
  readQuantity: number;
  exceptionCode: number;
  /** True when the data was shorter than the function code requires. */
  truncated: boolean;
  constructor() {
    this.address = -1;
    this.quantity = -1;
    this.readAddress = -1;
    this.readQuantity = -1;
    this.exceptionCode = -1;
    this.truncated = false;
  }
  reset(): void {
    this.address = -1;
    this.quantity = -1;
    this.readAddress = -1;
    this.readQuantity = -1;
    this.exceptionCode = -1;
    this.truncated = false;
  }
}

/**
 * Reads address/quantity (and the exception code) from PDU data: `off` is the first byte after
 * the function code, `len` the data length. Responses to reads carry no address: the analyzer
 * takes it from the matching request.
 */
export function parsePdu(isRequest: boolean, fc: number, b: Uint8Array, off: number, len: number, out: PduFields): void {
  out.reset();
  if (fc & 0x80) {
    if (isRequest) return;
    if (len < 1) { out.truncated = true; return; }
    out.exceptionCode = b[off];
    return;
  }
  switch (fc) {
    case 0x01: case 0x02: case 0x03: case 0x04:
      if (!isRequest) return;
      if (len < 4) { out.truncated = true; return; }
      out.address = u16(b, off);
      out.quantity = u16(b, off + 2);
      return;
    case 0x05: case 0x06:
      // Request and response are identical: address + value.
      if (len < 4) { out.truncated = true; return; }
      out.address = u16(b, off);
      out.quantity = 1;
      return;
    case 0x0f: case 0x10:
      // Request: address, quantity, byte count, values. Response echoes address + quantity.
      if (len < (isRequest ? 5 : 4)) { out.truncated = true; return; }
      out.address = u16(b, off);
      out.quantity = u16(b, off + 2);
      return;
    case 0x16:
      // Mask write: reference address, AND mask, OR mask (echoed in the response).
      if (len < 6) { out.truncated = true; return; }
      out.address = u16(b, off);
      out.quantity = 1;
      return;
    case 0x17:
      if (!isRequest) return;
      if (len < 9) { out.truncated = true; return; }
      out.readAddress = u16(b, off);
      out.readQuantity = u16(b, off + 2);
      out.address = u16(b, off + 4);
      out.quantity = u16(b, off + 6);
      return;
    default:
      return;
  }
}
