/**
 * DNP3 application function codes as Zeek names them (zeek/zeek scripts/base/protocols/dnp3/consts.zeek),
 * and the link-layer CRC (DNP3 Vol. 4: CRC-16/DNP, reflected polynomial 0xA6BC, result inverted,
 * transmitted low byte first).
 */

const NAMES: ReadonlyArray<readonly [number, string]> = [
  [0x00, 'CONFIRM'],
  [0x01, 'READ'],
  [0x02, 'WRITE'],
  [0x03, 'SELECT'],
  [0x04, 'OPERATE'],
  [0x05, 'DIRECT_OPERATE'],
  [0x06, 'DIRECT_OPERATE_NR'],
  [0x07, 'IMMED_FREEZE'],
  [0x08, 'IMMED_FREEZE_NR'],
  [0x09, 'FREEZE_CLEAR'],
  [0x0a, 'FREEZE_CLEAR_NR'],
  [0x0b, 'FREEZE_AT_TIME'],
  [0x0c, 'FREEZE_AT_TIME_NR'],
  [0x0d, 'COLD_RESTART'],
  [0x0e, 'WARM_RESTART'],
  [0x0f, 'INITIALIZE_DATA'],
  [0x10, 'INITIALIZE_APPL'],
  [0x11, 'START_APPL'],
  [0x12, 'STOP_APPL'],
  [0x13, 'SAVE_CONFIG'],
  [0x14, 'ENABLE_UNSOLICITED'],
  [0x15, 'DISABLE_UNSOLICITED'],
  [0x16, 'ASSIGN_CLASS'],
  [0x17, 'DELAY_MEASURE'],
  [0x18, 'RECORD_CURRENT_TIME'],
  [0x19, 'OPEN_FILE'],
  [0x1a, 'CLOSE_FILE'],
  [0x1b, 'DELETE_FILE'],
  [0x1c, 'GET_FILE_INFO'],
  [0x1d, 'AUTHENTICATE_FILE'],
  [0x1e, 'ABORT_FILE'],
  [0x1f, 'ACTIVATE_CONFIG'],
  [0x20, 'AUTHENTICATE_REQ'],
  [0x21, 'AUTHENTICATE_REQ_NR'],
  [0x81, 'RESPONSE'],
  [0x82, 'UNSOLICITED_RESPONSE'],
  [0x83, 'AUTHENTICATE_RESPONSE'],
];

const FC_NAME: string[] = new Array<string>(256);
for (let i = 0; i < 256; i++) FC_NAME[i] = 'unknown-' + i;
for (const [c, n] of NAMES) FC_NAME[c] = n;

export function functionName(fc: number): string {
  return FC_NAME[fc & 0xff];
}

const CRC_TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i;
  for (let j = 0; j < 8; j++) crc = crc & 1 ? (crc >>> 1) ^ 0xa6bc : crc >>> 1;
  CRC_TABLE[i] = crc;
}

/** CRC-16/DNP over `len` bytes at `off`. */
export function dnp3Crc(b: Uint8Array, off: number, len: number): number {
  let crc = 0;
  for (let i = off; i < off + len; i++) crc = CRC_TABLE[(crc ^ b[i]) & 0xff] ^ (crc >>> 8);
  return ~crc & 0xffff;
}

/** True when the two bytes at `crcOff` (low byte first) hold the CRC of `len` bytes at `off`. */
export function crcOk(b: Uint8Array, off: number, len: number, crcOff: number): boolean {
  const crc = dnp3Crc(b, off, len);
  return b[crcOff] === (crc & 0xff) && b[crcOff + 1] === crc >>> 8;
}
