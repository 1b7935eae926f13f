/** netbios.log record (Vigil's own log): one row per NetBIOS name service message. */
export type NetbiosLogRecord = {
  trans_id: number;
  /** Decoded NetBIOS name without its padding and suffix byte, e.g. `WORKGROUP`. */
  name: string;
  /** The 16th byte of the name (service type): 0x00 workstation, 0x20 server, 0x1d master browser … */
  suffix: number;
  /** Question (or first record) type: `NB`, `NBSTAT`, or `type-N`. */
  qtype_name?: string;
  opcode: number;
  opcode_name: string;
  is_response: boolean;
  /** The B flag: sent as a broadcast. */
  broadcast: boolean;
  rcode?: number;
  rcode_name?: string;
  /** IPv4 addresses from NB records (answers of a query, additional record of a registration). */
  answers?: string[];
  /** Node status response: the names table, as `NAME<xx>` with the suffix in hex. */
  nbstat_names?: string[];
  /** Node status response: the unit ID, normally the responder's MAC address. */
  mac?: string;
};
