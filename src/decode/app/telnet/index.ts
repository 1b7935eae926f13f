/**
 * Telnet analyzer (TCP 23, 2323): strips IAC option negotiation (RFC 854/855), counting it, and
 * follows the login dialogue far enough to count attempts and their outcome:
 *
 *   server `login:` → client line (user name, kept ≤ 64 bytes) → server `Password:` → client line
 *   (never stored) → server failure phrase / new prompt, or success (shell prompt, "Last login").
 *
 * Prompts are recognised at the end of the server's current partial line when a delivery ends,
 * because prompts are not newline-terminated. Client bytes are copied only while a user name is
 * expected; in every other state the client line is only scanned for its end, so a password never
 * reaches memory we keep. One telnet.log record per flow at finish.
 */
import type { AppAnalyzer, AppAnalyzerFactory, AppSink, ConnInfo } from '../analyzer.js';
import { safeString } from '../../../util/text.js';
import {
  FAILURE_PHRASES,
  LOGIN_PROMPTS,
  PASSWORD_PROMPTS,
  SUCCESS_PHRASES,
  containsAny,
  endsWithAny,
  endsWithShellPrompt,
} from './login.js';
import type { TelnetRecord } from './types.js';

export type { TelnetRecord } from './types.js';

const IAC = 0xff;
const SB = 0xfa;
const SE = 0xf0;
const EC = 0xf7;
const EL = 0xf8;

// IAC parser states.
const S_DATA = 0;
const S_IAC = 1;
const S_OPT = 2;
const S_SB = 3;
const S_SB_IAC = 4;

// Login dialogue states.
const L_IDLE = 0; // waiting for a login prompt
const L_USER = 1; // prompt seen, waiting for the client's user name line
const L_PASS_PROMPT = 2; // user name sent, waiting for the password prompt
const L_PASS = 3; // password prompt seen, waiting for the client's line (not stored)
const L_RESULT = 4; // password sent, waiting for the server's verdict
const L_DONE = 5; // logged in: stop following the dialogue

const MAX_LINE = 256;
const MAX_USER = 64;
const MAX_USERS = 16;
const MAX_SB = 4096;

class Side {
  state: number;
  options: number;
  sbLen: number;
  readonly line: Uint8Array;
  lineLen: number;
  lastCR: boolean;
  /** Data bytes were added to `line` since the partial line was last looked at. */
  fresh: boolean;
  constructor() {
    this.state = S_DATA;
    this.options = 0;
    this.sbLen = 0;
    this.line = new Uint8Array(MAX_LINE);
    this.lineLen = 0;
    this.lastCR = false;
    this.fresh = false;
  }
}

class TelnetAnalyzer implements AppAnalyzer {
  confirmed: boolean;
  done: boolean;
  private readonly conn: ConnInfo;
  private readonly sink: AppSink;
  private readonly client: Side;
  private readonly server: Side;
  private login: number;
  /** The client sent its password line before the server's password prompt arrived. */
  private passEarly: boolean;
  private readonly users: string[];
  private attempts: number;
  private failures: number;
  private success: boolean;
  private firstTs: number;
  private sbWeird: boolean;

  constructor(conn: ConnInfo, sink: AppSink) {
    this.confirmed = false;
    this.done = false;
    this.conn = conn;
    this.sink = sink;
    this.client = new Side();
    this.server = new Side();
    this.login = L_IDLE;
    this.passEarly = false;
    this.users = [];
    this.attempts = 0;
    this.failures = 0;
    this.success = false;
    this.firstTs = -1;
    this.sbWeird = false;
  }

  deliver(isOrig: boolean, buf: Buffer, off: number, len: number, ts: number): void {
    if (this.done || len <= 0) return;
    if (this.firstTs < 0) this.firstTs = ts;
    const s = isOrig ? this.client : this.server;
    const end = Math.min(off + len, buf.length);
    for (let i = off; i < end; i++) {
      const c = buf[i];
      switch (s.state) {
        case S_DATA:
          if (c === IAC) s.state = S_IAC;
          else this.dataByte(isOrig, s, c);
          break;
        case S_IAC:
          s.state = S_DATA;
          if (c === IAC) {
            this.dataByte(isOrig, s, c);
          } else if (c >= 0xfb) {
            s.state = S_OPT; // WILL, WONT, DO, DONT: one option byte follows
            s.options++;
          } else if (c === SB) {
            s.state = S_SB;
            s.sbLen = 0;
            s.options++;
          } else if (c === EC) {
            if (s.lineLen > 0) s.lineLen--;
          } else if (c === EL) {
            s.lineLen = 0;
          }
          // NOP, DM, BRK, IP, AO, AYT, GA and a stray SE carry no data.
          break;
        case S_OPT:
          s.state = S_DATA;
          // A complete negotiation: this is telnet.
          this.confirmed = true;
          break;
        case S_SB:
          if (c === IAC) {
            s.state = S_SB_IAC;
          } else if (++s.sbLen > MAX_SB) {
            // A subnegotiation that never ends is more likely data we misread: resume as data.
            if (!this.sbWeird) {
              this.sbWeird = true;
              this.sink.weird('telnet_subnegotiation_too_long', ts, this.conn);
            }
            s.state = S_DATA;
          }
          break;
        case S_SB_IAC:
          // IAC SE ends it; IAC IAC is a literal 255 inside; anything else is malformed, keep going.
          s.state = c === SE ? S_DATA : S_SB;
          break;
      }
    }
    if (!isOrig && s.fresh && s.lineLen > 0) {
      s.fresh = false;
      this.serverText(s, false);
    }
  }

  gap(isOrig: boolean, _len: number): void {
    const s = isOrig ? this.client : this.server;
    s.state = S_DATA;
    s.lineLen = 0;
    s.lastCR = false;
    this.sink.count('decoder.telnet.gaps');
  }

  finish(_ts: number): void {
    if (this.firstTs < 0) return;
    let outcome: boolean | undefined;
    if (this.success) outcome = true;
    else if (this.attempts > 0 && this.failures >= this.attempts) outcome = false;
    const rec: TelnetRecord = {
      ...(this.users.length > 0 ? { users: this.users.slice() } : {}),
      login_attempts: this.attempts,
      login_failures: this.failures,
      ...(outcome !== undefined ? { login_success: outcome } : {}),
      client_options: this.client.options,
      server_options: this.server.options,
    };
    this.sink.log('telnet', this.firstTs, this.conn, rec as unknown as Record<string, unknown>);
    this.firstTs = -1;
    this.done = true;
  }

  private dataByte(isOrig: boolean, s: Side, c: number): void {
    // Line ends: CR LF, CR NUL (RFC 854), or a bare LF / CR.
    if (c === 0x0d) {
      s.lastCR = true;
      this.endLine(isOrig, s);
      return;
    }
    if ((c === 0x0a || c === 0) && s.lastCR) {
      s.lastCR = false;
      return;
    }
    s.lastCR = false;
    if (c === 0x0a) {
      this.endLine(isOrig, s);
      return;
    }
    if (c === 0) return;
    // Only a user name is worth copying from the client; everything else it types may be a secret.
    if (isOrig && this.login !== L_USER) return;
    if (c === 0x08 || c === 0x7f) {
      if (s.lineLen > 0) s.lineLen--;
      return;
    }
    s.fresh = true;
    if (s.lineLen < MAX_LINE) {
      s.line[s.lineLen++] = c;
    } else if (!isOrig) {
      // Long server output (a banner, a listing): keep the tail, where a prompt would be.
      s.line.copyWithin(0, MAX_LINE / 2, MAX_LINE);
      s.lineLen = MAX_LINE / 2;
      s.line[s.lineLen++] = c;
    }
  }

  private endLine(isOrig: boolean, s: Side): void {
    if (isOrig) this.clientLine(s);
    else this.serverText(s, true);
    s.lineLen = 0;
  }

  private clientLine(s: Side): void {
    switch (this.login) {
      case L_USER: {
        let a = 0;
        let e = s.lineLen;
        while (a < e && s.line[a] === 0x20) a++;
        while (e > a && s.line[e - 1] === 0x20) e--;
        if (e === a) return; // just Enter: the prompt is still waiting
        const name = safeString(s.line, a, e - a, MAX_USER);
        if (this.users.indexOf(name) < 0) {
          if (this.users.length < MAX_USERS) this.users.push(name);
          else this.sink.count('decoder.telnet.users_capped');
        }
        this.login = L_PASS_PROMPT;
        this.passEarly = false;
        return;
      }
      case L_PASS_PROMPT:
        this.passEarly = true;
        return;
      case L_PASS:
        this.attempts++;
        this.login = L_RESULT;
        return;
      default:
        return;
    }
  }

  /** Server text: a completed line, or (complete = false) the partial line left when a delivery ends. */
  private serverText(s: Side, complete: boolean): void {
    const before = this.login;
    this.dialogue(s, complete);
    // A prompt is answered once: forget it, or the next delivery would see the same prompt again.
    if (!complete && this.login !== before) s.lineLen = 0;
  }

  private dialogue(s: Side, complete: boolean): void {
    const b = s.line;
    const n = s.lineLen;
    switch (this.login) {
      case L_IDLE:
        if (complete) return;
        if (endsWithAny(b, n, LOGIN_PROMPTS)) {
          this.confirmed = true;
          this.login = L_USER;
        } else if (endsWithAny(b, n, PASSWORD_PROMPTS)) {
          // Password-only devices.
          this.confirmed = true;
          this.login = L_PASS;
        }
        return;
      case L_PASS_PROMPT:
        if (complete) {
          if (containsAny(b, n, SUCCESS_PHRASES)) this.loggedIn();
          return;
        }
        if (endsWithAny(b, n, PASSWORD_PROMPTS)) {
          if (this.passEarly) {
            this.passEarly = false;
            this.attempts++;
            this.login = L_RESULT;
          } else {
            this.login = L_PASS;
          }
        } else if (endsWithAny(b, n, LOGIN_PROMPTS)) {
          this.login = L_USER;
        } else if (endsWithShellPrompt(b, n)) {
          // No password asked: the user name alone logged in.
          this.attempts++;
          this.loggedIn();
        }
        return;
      case L_RESULT:
        if (containsAny(b, n, SUCCESS_PHRASES)) {
          this.loggedIn();
        } else if (containsAny(b, n, FAILURE_PHRASES)) {
          this.failures++;
          this.login = L_IDLE;
        } else if (!complete) {
          if (endsWithAny(b, n, LOGIN_PROMPTS)) {
            this.failures++;
            this.login = L_USER;
          } else if (endsWithAny(b, n, PASSWORD_PROMPTS)) {
            this.failures++;
            this.login = L_PASS;
          } else if (endsWithShellPrompt(b, n)) {
            this.loggedIn();
          }
        }
        return;
      default:
        return;
    }
  }

  private loggedIn(): void {
    if (this.attempts === 0) this.attempts = 1;
    this.success = true;
    this.login = L_DONE;
  }
}

/** Servers usually open with option negotiation: IAC WILL/WONT/DO/DONT <option>. */
function sniffTelnet(b: Uint8Array, off: number, len: number): boolean {
  return len >= 3 && b[off] === IAC && b[off + 1] >= 0xfb;
}

export function createTelnetFactory(): AppAnalyzerFactory {
  return {
    service: 'telnet',
    tcp: true,
    udp: false,
    ports: [23, 2323],
    sniff(_isOrig: boolean, buf: Buffer, off: number, len: number): boolean {
      return off + len <= buf.length && sniffTelnet(buf, off, len);
    },
    create(conn: ConnInfo, sink: AppSink): AppAnalyzer {
      return new TelnetAnalyzer(conn, sink);
    },
  };
}
