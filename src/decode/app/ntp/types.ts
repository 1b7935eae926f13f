/**
 * ntp.log record: Zeek's `NTP::Info` (one row per message). Modes 6 (control) and 7 (private,
 * e.g. `monlist`) are logged too, unlike Zeek, because they are what NTP amplification uses: those
 * rows carry only version, mode and the opcode/request code.
 */
export interface NtpRecord {
  version: number;
  mode: number;
  stratum?: number;
  /** 2^poll seconds. */
  poll?: number;
  /** 2^precision seconds. */
  precision?: number;
  /** Seconds (NTP short format 16.16). */
  root_delay?: number;
  root_disp?: number;
  /** Kiss code (stratum 0), reference clock name (stratum 1) or IPv4 address of the upstream server. */
  ref_id?: string;
  /** Epoch seconds; 0 when the NTP timestamp is zero (as Zeek). */
  ref_time?: number;
  org_time?: number;
  rec_time?: number;
  xmt_time?: number;
  num_exts?: number;
  // ---- Vigil extras (not in Zeek) ----
  /** Mode 6: control opcode (1 read status, 2 read variables …). */
  ctl_opcode?: number;
  /** Mode 7: implementation-specific request code (42 = MON_GETLIST_1, the amplification one). */
  req_code?: number;
  /** Mode 6/7: true when the R (response) bit is set. */
  response?: boolean;
}
