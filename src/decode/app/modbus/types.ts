/**
 * modbus.log record: Zeek's `Modbus::Info` (one row per PDU, requests and responses alike) plus
 * our ICS extras for write detection. Unset fields are omitted.
 */
export interface ModbusRecord {
  /** MBAP transaction identifier. */
  tid: number;
  /** MBAP unit identifier ("slave address"). */
  unit: number;
  /** Function name as Zeek spells it (`READ_COILS`, `WRITE_SINGLE_COIL_EXCEPTION`, `unknown-65`). */
  func: string;
  /** `REQ` from the originator, `RESP` from the responder (Zeek decides by direction too). */
  pdu_type: 'REQ' | 'RESP';
  /** Exception name on exception responses (`ILLEGAL_DATA_ADDRESS`, `unknown-12`). */
  exception?: string;
  // ---- Vigil extras (not in Zeek) ----
  /** True for the write function codes 5, 6, 15, 16, 22, 23 (also on their responses/exceptions). */
  write: boolean;
  /** Starting register/coil address; for fc 23 the write range. Responses inherit it from the request. */
  address?: number;
  /** Number of registers/coils; 1 for single writes and mask write. */
  quantity?: number;
  /** fc 23 only: the read range of the read/write request. */
  read_address?: number;
  read_quantity?: number;
}
