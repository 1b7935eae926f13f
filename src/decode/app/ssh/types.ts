/**
 * ssh.log record (Zeek `SSH::Info`, formats.md §1.7) plus the HASSH fingerprints Arkime logs.
 * `direction` needs the site's local networks, which the analyzer does not know: left to enrichment.
 */
export interface SshRecord {
  /** 2, 1, or 0 when the two sides' versions cannot talk (Zeek's rule). */
  version?: number;
  /** Zeek's packet-size heuristic; absent when it could not decide. */
  auth_success?: boolean;
  auth_attempts: number;
  client?: string;
  server?: string;
  cipher_alg?: string;
  mac_alg?: string;
  compression_alg?: string;
  kex_alg?: string;
  host_key_alg?: string;
  /** `SHA256:<base64, no padding>` of the server host key blob, as `ssh-keygen -l` prints it. */
  host_key_fingerprint?: string;
  /** MD5 of the client's `kex;enc;mac;cmp` lists (client to server). */
  hassh?: string;
  /** MD5 of the server's `kex;enc;mac;cmp` lists (server to client). */
  hasshServer?: string;
}

/** The algorithm name-lists of one SSH_MSG_KEXINIT (RFC 4253 §7.1), rendered safe. */
export interface KexInit {
  kex: string[];
  hostKey: string[];
  encC2S: string[];
  encS2C: string[];
  macC2S: string[];
  macS2C: string[];
  cmpC2S: string[];
  cmpS2C: string[];
  /** HASSH (client) or HASSHServer (server) of this side's lists. */
  hassh: string;
}
