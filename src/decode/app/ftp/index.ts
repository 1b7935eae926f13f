/**
 * FTP control-channel analyzer (TCP 21): splits both directions into lines (≤ 512 bytes), pairs
 * each command with its final reply (FIFO, 1xx replies are preliminary), and logs one ftp.log
 * record per pair with Zeek's field names. Login attempts (USER/PASS) and failures (530) are
 * counted per flow and written as one `ftp_login` record when the flow ends.
 *
 * Passwords never reach a string: the PASS argument is skipped byte-wise and logged as `<hidden>`.
 */
import type { AppAnalyzer, AppAnalyzerFactory, AppSink, ConnInfo } from '../analyzer.js';
import { safeString } from '../../../util/text.js';
import {
  REPLY_MULTI,
  buildPath,
  commandLength,
  extractQuotedPath,
  extractSize,
  ftpUrl,
  parseEprt,
  parseEpsv,
  parseHostPort6,
  replyCode,
} from './parser.js';
import type { DataChannel, FtpLoginRecord } from './types.js';

export type { FtpLoginRecord, FtpRecord } from './types.js';

const MAX_LINE = 512;
/** Zeek's FTP::max_pending_commands. */
const MAX_PENDING = 20;
const MAX_USERS = 16;
/** Zeek's FTP::max_user_length. */
const MAX_USER = 128;
const MAX_ARG = 256;
const MAX_CWD = 256;
const HIDDEN = '<hidden>';

/** Commands whose argument names a file or directory: logged as an ftp:// URL, as Zeek does. */
const FILE_CMDS = new Set(['APPE', 'CWD', 'DELE', 'MKD', 'RETR', 'RMD', 'RNFR', 'RNTO', 'STOR', 'STOU', 'REST', 'SIZE', 'MDTM']);

class LineDir {
  readonly buf: Uint8Array;
  len: number;
  /** The current line overflowed MAX_LINE: the rest up to the newline is dropped. */
  truncated: boolean;
  /** After a gap: drop everything up to the next newline (we are mid-line). */
  skip: boolean;
  constructor() {
    this.buf = new Uint8Array(MAX_LINE);
    this.len = 0;
    this.truncated = false;
    this.skip = false;
  }
}

class PendingCmd {
  readonly cmd: string;
  /** Capped, escaped argument; '' for PASS (never copied) and for no argument. */
  readonly arg: string;
  readonly ts: number;
  replyCode: number;
  replyMsg: string;
  fileSize: number;
  dc: DataChannel | null;
  constructor(cmd: string, arg: string, ts: number) {
    this.cmd = cmd;
    this.arg = arg;
    this.ts = ts;
    this.replyCode = -1;
    this.replyMsg = '';
    this.fileSize = -1;
    this.dc = null;
  }
}

class FtpAnalyzer implements AppAnalyzer {
  confirmed: boolean;
  done: boolean;
  private readonly conn: ConnInfo;
  private readonly sink: AppSink;
  private readonly client: LineDir;
  private readonly server: LineDir;
  private readonly pending: PendingCmd[];
  /** Code of the multi-line reply being read (`NNN-` seen, `NNN ` not yet), or 0. */
  private multi: number;
  private user: string | undefined;
  private passwordSeen: boolean;
  private cwd: string;
  private readonly users: string[];
  private attempts: number;
  private failures: number;
  private success: boolean;
  private firstTs: number;

  constructor(conn: ConnInfo, sink: AppSink) {
    this.confirmed = false;
    this.done = false;
    this.conn = conn;
    this.sink = sink;
    this.client = new LineDir();
    this.server = new LineDir();
    // Zeek's `<init>` shim: the greeting answers a command nobody sent.
    this.pending = [new PendingCmd('<init>', '', 0)];
    this.multi = 0;
    this.user = undefined;
    this.passwordSeen = false;
    this.cwd = '.';
    this.users = [];
    this.attempts = 0;
    this.failures = 0;
    this.success = false;
    this.firstTs = -1;
  }

  deliver(isOrig: boolean, buf: Buffer, off: number, len: number, ts: number): void {
    if (this.done || len <= 0) return;
    if (this.firstTs < 0) {
      this.firstTs = ts;
      // Clients wait for the greeting (RFC 959 §5.4): client bytes first means we joined
      // mid-session, and the next reply answers the client's command, not a greeting.
      if (isOrig) this.pending.length = 0;
    }
    const d = isOrig ? this.client : this.server;
    let p = off;
    const end = Math.min(off + len, buf.length);
    while (p < end && !this.done) {
      let nl = p;
      while (nl < end && buf[nl] !== 0x0a) nl++;
      if (nl === end) {
        this.append(d, buf, p, end, ts);
        return;
      }
      if (d.skip) {
        d.skip = false;
        d.len = 0;
        p = nl + 1;
        continue;
      }
      let b: Uint8Array;
      let lo: number;
      let ll: number;
      if (d.len === 0 && !d.truncated && nl - p <= MAX_LINE) {
        b = buf;
        lo = p;
        ll = nl - p;
      } else {
        this.append(d, buf, p, nl, ts);
        if (this.done) return;
        b = d.buf;
        lo = 0;
        ll = d.len;
      }
      if (ll > 0 && b[lo + ll - 1] === 0x0d) ll--;
      if (d.truncated) this.sink.weird('ftp_line_too_long', ts, this.conn);
      d.len = 0;
      d.truncated = false;
      p = nl + 1;
      if (isOrig) this.command(b, lo, ll, ts);
      else this.reply(b, lo, ll, ts);
    }
  }

  gap(isOrig: boolean, _len: number): void {
    if (this.done) return;
    const d = isOrig ? this.client : this.server;
    d.len = 0;
    d.truncated = false;
    d.skip = true;
    if (!isOrig) this.multi = 0;
    this.sink.count('decoder.ftp.gaps');
  }

  finish(_ts: number): void {
    if (this.done && this.firstTs < 0) return;
    // Commands that never got a final reply (connection reset, capture end) are still worth a row.
    for (const c of this.pending) if (c.cmd !== '<init>') this.emit(c, this.argOf(c));
    this.pending.length = 0;
    if (this.users.length > 0 || this.attempts > 0) {
      const rec: FtpLoginRecord = {
        users: this.users.slice(),
        login_attempts: this.attempts,
        login_failures: this.failures,
      };
      if (this.success) rec.login_success = true;
      else if (this.attempts > 0 && this.failures >= this.attempts) rec.login_success = false;
      this.sink.log('ftp_login', this.firstTs, this.conn, rec as unknown as Record<string, unknown>);
    }
    this.done = true;
    this.firstTs = -1;
  }

  /** Buffers a partial line, keeping at most MAX_LINE bytes of it. */
  private append(d: LineDir, buf: Uint8Array, from: number, to: number, ts: number): void {
    if (d.skip) return;
    const room = MAX_LINE - d.len;
    const n = Math.min(room, to - from);
    if (n > 0) {
      d.buf.set(buf.subarray(from, from + n), d.len);
      d.len += n;
    }
    if (to - from > n && !d.truncated) {
      d.truncated = true;
      // 512 bytes without a newline before anything looked like FTP: not an FTP control channel.
      if (!this.confirmed) {
        this.sink.weird('ftp_line_too_long', ts, this.conn);
        this.done = true;
      }
    }
  }

  private command(b: Uint8Array, o: number, n: number, ts: number): void {
    // Telnet IP/Synch (IAC IP IAC DM) may precede ABOR (RFC 959 §4.1.3).
    while (n >= 2 && b[o] === 0xff) { o += 2; n -= 2; }
    if (n <= 0) return;
    const cl = commandLength(b, o, n);
    if (cl < 0) {
      this.sink.weird('ftp_bad_command', ts, this.conn);
      if (!this.confirmed) this.done = true;
      return;
    }
    let cmd = '';
    for (let i = 0; i < cl; i++) cmd += String.fromCharCode(b[o + i] & 0xdf);
    const a = o + cl + 1;
    const alen = n - cl - 1;
    let arg = '';
    if (cmd === 'PASS') {
      this.passwordSeen = true;
      this.attempts++;
    } else if (alen > 0) {
      if (cmd === 'USER') {
        if (alen > MAX_USER) this.sink.weird('ftp_user_too_long', ts, this.conn, String(alen));
        arg = safeString(b, a, alen, MAX_USER);
        this.user = arg;
        if (this.users.indexOf(arg) < 0) {
          if (this.users.length < MAX_USERS) this.users.push(arg);
          else this.sink.count('decoder.ftp.users_capped');
        }
      } else {
        if (alen > MAX_ARG) this.sink.count('decoder.ftp.arg_truncated');
        arg = safeString(b, a, alen, MAX_ARG);
      }
    }
    if (this.pending.length >= MAX_PENDING) {
      this.sink.weird('ftp_too_many_pending_commands', ts, this.conn, String(this.pending.length));
      return;
    }
    const pc = new PendingCmd(cmd, arg, ts);
    if (cmd === 'PORT' || cmd === 'EPRT') {
      const hp = cmd === 'PORT' ? parseHostPort6(arg) : parseEprt(arg);
      if (hp !== null) pc.dc = { passive: false, origH: this.conn.respH, respH: hp.host, respP: hp.port };
    }
    this.pending.push(pc);
  }

  private reply(b: Uint8Array, o: number, n: number, ts: number): void {
    const rc = replyCode(b, o, n);
    if (this.multi > 0) {
      // Inside `NNN-` … `NNN `: only the closing line counts (its text is what Zeek logs).
      if (rc >= 0 && rc >> 2 === this.multi && (rc & 3) !== REPLY_MULTI) {
        this.multi = 0;
        this.final(rc >> 2, b, o + 4, n - 4);
      }
      return;
    }
    if (rc < 0) {
      if (n === 0) return;
      this.sink.weird('ftp_bad_reply', ts, this.conn);
      if (!this.confirmed) this.done = true;
      return;
    }
    this.confirmed = true;
    if ((rc & 3) === REPLY_MULTI) {
      this.multi = rc >> 2;
      return;
    }
    this.final(rc >> 2, b, o + 4, n - 4);
  }

  private final(code: number, b: Uint8Array, mo: number, mn: number): void {
    const msg = mn > 0 ? safeString(b, mo, mn, MAX_ARG) : '';
    const c = this.pending.length > 0 ? this.pending[0] : undefined;
    if (c === undefined) {
      this.sink.count('decoder.ftp.unmatched_reply');
      return;
    }
    c.replyCode = code;
    c.replyMsg = msg;
    if (code < 200) {
      // Preliminary (150 Opening data connection …): the command is still running.
      if (code === 150 && c.cmd === 'RETR') c.fileSize = extractSize(msg);
      return;
    }
    this.pending.shift();
    // Computed before CWD & co. change the directory: the command ran in the old one.
    const arg = this.argOf(c);
    switch (c.cmd) {
      case 'USER':
        if (code === 230 || code === 530) this.attempts++;
        break;
      case 'SIZE':
        if (code === 213) c.fileSize = extractSize(msg);
        break;
      case 'PASV':
        if (code === 227) {
          const hp = parseHostPort6(msg);
          if (hp !== null) c.dc = { passive: true, origH: this.conn.origH, respH: hp.host, respP: hp.port };
        }
        break;
      case 'EPSV':
        if (code === 229) {
          const port = parseEpsv(msg);
          if (port > 0) c.dc = { passive: true, origH: this.conn.origH, respH: this.conn.respH, respP: port };
        }
        break;
      case 'CWD':
        if (code === 250 && c.arg !== '') this.setCwd(buildPath(this.cwd, c.arg));
        break;
      case 'CDUP':
        if (code === 200 || code === 250) this.setCwd(buildPath(this.cwd, '..'));
        break;
      case 'PWD':
      case 'XPWD':
        if (code === 257) {
          const p = extractQuotedPath(msg);
          if (p !== '') this.setCwd(p);
        }
        break;
      default:
        break;
    }
    if (c.cmd === 'USER' || c.cmd === 'PASS') {
      if (code === 230) this.success = true;
      else if (code === 530) this.failures++;
    }
    if (c.cmd !== '<init>') this.emit(c, arg);
  }

  /** File arguments become ftp:// URLs against the current directory, as Zeek logs them. */
  private argOf(c: PendingCmd): string {
    return c.arg !== '' && FILE_CMDS.has(c.cmd) ? ftpUrl(this.conn.respH, this.cwd, c.arg) : c.arg;
  }

  private setCwd(p: string): void {
    this.cwd = p.length > MAX_CWD ? p.slice(0, MAX_CWD) : p;
  }

  private emit(c: PendingCmd, arg: string): void {
    // Key order follows Zeek's ftp.log columns.
    const rec: Record<string, unknown> = {};
    if (this.user !== undefined) rec.user = this.user;
    if (this.passwordSeen) rec.password = HIDDEN;
    rec.command = c.cmd;
    if (c.cmd === 'PASS') rec.arg = HIDDEN;
    else if (arg !== '') rec.arg = arg;
    if (c.fileSize >= 0) rec.file_size = c.fileSize;
    if (c.replyCode >= 0) {
      rec.reply_code = c.replyCode;
      rec.reply_msg = c.replyMsg;
    }
    if (c.dc !== null) {
      rec['data_channel.passive'] = c.dc.passive;
      rec['data_channel.orig_h'] = c.dc.origH;
      rec['data_channel.resp_h'] = c.dc.respH;
      rec['data_channel.resp_p'] = c.dc.respP;
    }
    this.sink.log('ftp', c.ts, this.conn, rec);
  }
}

export function createFtpFactory(): AppAnalyzerFactory {
  return {
    service: 'ftp',
    tcp: true,
    udp: false,
    ports: [21],
    create(conn: ConnInfo, sink: AppSink): AppAnalyzer {
      return new FtpAnalyzer(conn, sink);
    },
  };
}
