/**
 * ftp.log record: Zeek's `FTP::Info` fields (one row per command/reply pair here; Zeek logs only
 * a few commands by default). Passwords are never logged: `password` and the PASS `arg` are the
 * literal `<hidden>`, for anonymous logins too (Zeek shows guest passwords; we do not).
 */
export interface FtpRecord {
  user?: string;
  password?: '<hidden>';
  command: string;
  arg?: string;
  file_size?: number;
  reply_code?: number;
  reply_msg?: string;
  'data_channel.passive'?: boolean;
  'data_channel.orig_h'?: string;
  'data_channel.resp_h'?: string;
  'data_channel.resp_p'?: number;
}

/**
 * ftp_login (Vigil's own path): one row per control connection that tried to log in, written when
 * the flow ends. Feeds brute-force detection.
 */
export interface FtpLoginRecord {
  /** Distinct USER names tried, at most 16. */
  users: string[];
  /** PASS commands, plus USER commands answered 230/530 directly. */
  login_attempts: number;
  /** 530 replies to USER or PASS. */
  login_failures: number;
  /** True once a 230 answered USER or PASS; false when every attempt failed; absent if unknown. */
  login_success?: boolean;
}

export interface DataChannel {
  passive: boolean;
  origH: string;
  respH: string;
  respP: number;
}
