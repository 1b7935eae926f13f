/**
 * dns.log record (Zeek `DNS::Info`, formats.md §1.3) plus Vigil's `mdns_names`. Keys appear in
 * Zeek's column order; optional fields are left out when unset.
 */
export type DnsLogRecord = {
  proto: 'tcp' | 'udp';
  trans_id: number;
  /** Seconds from the query to the first answer; absent when only one side was seen. */
  rtt?: number;
  query?: string;
  qclass?: number;
  qclass_name?: string;
  qtype?: number;
  qtype_name?: string;
  rcode?: number;
  rcode_name?: string;
  AA: boolean;
  TC: boolean;
  RD: boolean;
  RA: boolean;
  Z: number;
  /** Answer-section rdata rendered as Zeek renders it (addresses, names, `TXT <len> <text>` …). */
  answers?: string[];
  /** TTL in seconds of each entry in `answers`. */
  TTLs?: number[];
  rejected: boolean;
  opcode: number;
  opcode_name: string;
  /** mDNS only (Vigil's own field): instance and host names announced, original case. */
  mdns_names?: string[];
};
