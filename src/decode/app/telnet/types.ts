/**
 * telnet.log (Vigil's own path; Zeek has no telnet log): one record per flow, written when it
 * ends. Built for brute-force detection (Mirai and friends log in over telnet with default
 * credentials). Passwords are never kept, not even their length.
 */
export interface TelnetRecord {
  /** Distinct user names typed at a login prompt, each ≤ 64 bytes, at most 16. */
  users?: string[];
  /** Passwords submitted (or user names accepted without a password prompt). */
  login_attempts: number;
  /** Attempts the server rejected ("Login incorrect", a new login: prompt …). */
  login_failures: number;
  /** True when a shell prompt or "Last login"/"Welcome" followed an attempt; false when attempts only failed; absent when unknown. */
  login_success?: boolean;
  /** IAC option negotiations (WILL/WONT/DO/DONT) and subnegotiations (SB … SE) sent by each side. */
  client_options: number;
  server_options: number;
}
