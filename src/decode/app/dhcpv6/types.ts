/**
 * Record shape for the DHCPv6 analyzer (our own `dhcpv6` log; Zeek has none). One row per
 * message; the sink prepends ts, uid and id.*. For relayed messages (RELAY-FORW / RELAY-REPL)
 * the row describes the innermost client/server message plus the relay envelope.
 */

// A type alias (not an interface) so a record is assignable to the sink's LogFields.
export type Dhcpv6LogRecord = {
  /** Innermost message type: SOLICIT, ADVERTISE, REQUEST, …, `unknown-message-type-N`. */
  msg_type: string;
  /** Transaction id (24 bits); absent when a relay envelope held no message. */
  trans_id?: number;
  /** Outermost relay type when the message was relayed (`RELAY-FORW` / `RELAY-REPL`). */
  relay_type?: string;
  /** Number of relay envelopes around the message. */
  relay_hops?: number;
  /** link-address / peer-address of the innermost relay envelope (the one next to the client). */
  link_addr?: string;
  peer_addr?: string;
  /** Option 1 / 2 DUIDs as lower-case hex. */
  client_duid?: string;
  server_duid?: string;
  /** Client MAC from a DUID-LLT/DUID-LL with Ethernet hardware type, else relay option 79. */
  mac?: string;
  /** Option 39 (RFC 4704): decoded name and flags byte. */
  client_fqdn?: string;
  client_fqdn_flags?: number;
  /** Option 16: enterprise number and class data items. */
  vendor_enterprise?: number;
  vendor_class?: string[];
  /** Option 15 items. */
  user_class?: string[];
  /** Option 6 (ORO): requested option codes, the DHCPv6 device fingerprint. */
  requested_options?: number[];
  /** IAADDR addresses from IA_NA / IA_TA. */
  addrs?: string[];
  /** IAPREFIX prefixes from IA_PD, as `addr/len`. */
  prefixes?: string[];
  /** Valid lifetime (s) of the first address or prefix. */
  valid_lifetime?: number;
  /** Top-level status code (else the first one inside an IA) and its message. */
  status_code?: number;
  status_message?: string;
  /** Option 23 and 24. */
  dns_servers?: string[];
  domain_list?: string[];
  /** Option 8, seconds. */
  elapsed_time?: number;
  /** Option 14 present. */
  rapid_commit?: boolean;
  /** Option 112 (RFC 8520). */
  mud_url?: string;
};
