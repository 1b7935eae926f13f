/** dnp3.log record: Zeek's `DNP3::Info`, one row per request/response pair. */
export interface Dnp3Record {
  /** Function name of the request (`READ`, `DIRECT_OPERATE` …), absent for unsolicited responses. */
  fc_request?: string;
  /** Function name of the reply (`RESPONSE`, `UNSOLICITED_RESPONSE` …), absent if none was seen. */
  fc_reply?: string;
  /** The reply's internal indications, IIN1 << 8 | IIN2 (as Zeek reads the 16 bits big-endian). */
  iin?: number;
}
