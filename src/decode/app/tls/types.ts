/**
 * ssl.log record (Zeek `SSL::Info`, formats.md §1.4) as this analyzer writes it, in Zeek's column
 * order, plus the fingerprint columns the salesforce/ja3 and FoxIO ja4 Zeek packages add, plus
 * our own extras at the end. `ts`, `uid` and `id.*` are added by the sink.
 *
 * Certificate columns (cert_chain_fps, subject, issuer, sni_matches_cert …) are not produced:
 * they need the x509 analysis Vigil does not do.
 */
export type SslLog = {
  /** Negotiated version: ServerHello supported_versions if present, else ServerHello.version. */
  version?: string;
  /** IANA name of the suite the server chose, `unknown-<decimal>` if not in our table. */
  cipher?: string;
  /** Key-exchange group: TLS 1.3 key_share, or the ECDHE ServerKeyExchange named curve. */
  curve?: string;
  /** First host_name in the client's SNI extension. */
  server_name?: string;
  resumed: boolean;
  /** Last cleartext alert's description (`protocol_version`, `unknown_ca` …). */
  last_alert?: string;
  /** ALPN protocol the server chose. */
  next_protocol?: string;
  /** Both directions switched to encrypted records and one more encrypted record went by. */
  established: boolean;
  ssl_history: string;
  ja3?: string;
  ja3s?: string;
  ja4?: string;
  /** ALPN names the client offered, in order (first 16). */
  client_alpn?: string[];
  /** supported_versions the client offered, GREASE removed, as version names (first 16). */
  client_versions?: string[];
  ja3_string?: string;
  ja3s_string?: string;
};
