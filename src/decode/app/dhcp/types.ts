/**
 * Record shapes for the DHCPv4 analyzer.
 *
 * `DhcpLogRecord` is one dhcp.log row: Zeek's `DHCP::Info` (base script + the `software`,
 * `msg-orig` and `sub-opts` policy scripts), then our own additions. The sink prepends `ts`; there
 * is no `uid`/`id.*` because a DHCP transaction spans several UDP flows (Zeek lists `uids`).
 */

// A type alias (not an interface) so a record is assignable to the sink's LogFields.
export type DhcpLogRecord = {
  /** Conn uids of every flow that carried a message of this transaction (insertion order). */
  uids: string[];
  /** Client's address: a unicast source of a client message, else the first assigned address. */
  client_addr?: string;
  /** Source of the server message that handed out an address (yiaddr ≠ 0). */
  server_addr?: string;
  /** Client hardware address: option 61 (Ethernet type), else chaddr. */
  mac?: string;
  /** Option 12 from the client (raw, escaped; Zeek keeps trailing NULs too). */
  host_name?: string;
  /** Option 81 from the client; the wire-encoded form (E flag) is decoded to a dotted name. */
  client_fqdn?: string;
  /** Option 15 from the server, trailing NULs removed. */
  domain?: string;
  /** Option 50 from the client. */
  requested_addr?: string;
  /** yiaddr of a server message. */
  assigned_addr?: string;
  /** Option 51 from the server, seconds. */
  lease_time?: number;
  /** Option 56 from the client (usually with DECLINE). */
  client_message?: string;
  /** Option 56 from the server (usually with NAK). */
  server_message?: string;
  /** Message type names in arrival order (`DISCOVER`, `OFFER`, …, `unknown-message-type-N`). */
  msg_types: string[];
  /** Seconds from the first to the last message. */
  duration: number;
  /** Option 60 from the client (Zeek policy/protocols/dhcp/software.zeek). */
  client_software?: string;
  /** Option 60 from the server. */
  server_software?: string;
  /** Source address of every message, parallel to msg_types (policy msg-orig.zeek). */
  msg_orig: string[];
  /** Option 82 sub-options 1, 2 and 6 (policy sub-opts.zeek). */
  circuit_id?: string;
  agent_remote_id?: string;
  subscriber_id?: string;
  /** Ours: option 81 flags byte (S=1, O=2, E=4, N=8). */
  client_fqdn_flags?: number;
  /** Ours: option 55 from the client, the classic device fingerprint. */
  param_list?: number[];
  /** Ours: option 61 as lower-case hex, type byte included. */
  client_id?: string;
  /** Ours: option 161 (RFC 8520 Manufacturer Usage Description URL). */
  mud_url?: string;
  /** Ours: option 54 from the server (who answered; rogue-server detection). */
  server_id?: string;
  /** Ours: options 1, 3 and 6 from the server. */
  subnet_mask?: string;
  routers?: string[];
  dns_servers?: string[];
};

/** Factory options; each maps to a config key (`decode.dhcp.*`). */
export interface DhcpOptions {
  /** Open transactions kept at once; the oldest is logged early when full. Default 1024. */
  maxTransactions?: number;
  /** Quiet time after the last message before a transaction is logged (Zeek: 5 s). */
  lingerSecs?: number;
  /** A transaction is never logged before it is this old (Zeek's `&create_expire=10secs`). */
  minAgeSecs?: number;
  /** A transaction is logged once this old, busy or not (Zeek `DHCP::max_txid_watch_time`, 30 s). */
  maxWatchSecs?: number;
  /** Zeek `DHCP::max_uids_per_log_entry` (10): the row is written when reached. */
  maxUids?: number;
  /** Zeek `DHCP::max_msg_types_per_log_entry` (50): the row is written when reached. */
  maxMsgTypes?: number;
}
