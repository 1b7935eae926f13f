/**
 * SSH analyzer: both version banners, then the cleartext binary packets of the first key exchange
 * (RFC 4253 §6) just far enough to read each side's KEXINIT and the server's host key. After
 * NEWKEYS the stream is encrypted; we then only look at segment sizes from the server to guess the
 * authentication outcome the way Zeek does (SSH.cc ProcessEncrypted), and stop once it is decided.
 * One ssh.log record per connection: at auth success, when we stop, or at finish.
 *
 * The auth heuristic reads `len` of each `deliver` as one TCP segment's payload, which is what
 * Zeek sees too; an engine that merges segments before delivering would blur it.
 */
import type { AppAnalyzer, AppAnalyzerFactory, AppSink, ConnInfo, LogFields } from '../analyzer.js';
import { safeString } from '../../../util/text.js';
import { findAlg, findBidiAlg, hostKeyFingerprint, parseKexInit, NEGOTIATION_FAILED } from './kexinit.js';
import type { KexInit } from './types.js';

export type { SshRecord, KexInit } from './types.js';

export const SSH_PORTS: readonly number[] = [22, 2222];

/** RFC 4253 §4.2: the version line is at most 255 bytes including CR LF. */
export const MAX_BANNER = 255;
/** Lines a server may send before its version line (RFC 4253 §4.2) that we put up with. */
export const MAX_PRE_BANNER_LINES = 32;
/** OpenSSH's PACKET_MAX_SIZE: anything larger is not SSH. */
export const MAX_PACKET = 256 * 1024;
/** Most bytes of one packet (KEXINIT, KEX reply) we buffer. */
export const MAX_KEEP = 16384;
/** Server segments after NEWKEYS we watch before giving up on the auth heuristic. */
export const MAX_ENCRYPTED_SEGMENTS = 256;

const MSG_KEXINIT = 20;
const MSG_NEWKEYS = 21;
const MSG_KEX_REPLY = 31; // KEXDH_REPLY / KEX_ECDH_REPLY (and GEX *group*, hence replyType())
const MSG_KEX_DH_GEX_REPLY = 33;

const enum Ph { BANNER, PACKETS, ENCRYPTED, IGNORE }

/** One direction of the connection. */
class Side {
  phase: Ph;
  line: Buffer | null;
  lineLen: number;
  lineCut: boolean;
  preLines: number;
  banner: string;
  readonly hdr: Buffer;
  hdrLen: number;
  msgType: number;
  remaining: number;
  keep: Buffer | null;
  keepLen: number;
  keepWant: number;
  kex: KexInit | null;

  constructor() {
    this.phase = Ph.BANNER;
    this.line = null;
    this.lineLen = 0;
    this.lineCut = false;
    this.preLines = 0;
    this.banner = '';
    this.hdr = Buffer.alloc(6);
    this.hdrLen = 0;
    this.msgType = 0;
    this.remaining = 0;
    this.keep = null;
    this.keepLen = 0;
    this.keepWant = 0;
    this.kex = null;
  }
}

class SshAnalyzer implements AppAnalyzer {
  confirmed: boolean;
  done: boolean;
  private readonly conn: ConnInfo;
  private readonly sink: AppSink;
  private readonly cli: Side;
  private readonly srv: Side;
  private firstTs: number;
  private lastTs: number;
  private logged: boolean;
  private cipher: string;
  private mac: string;
  private compression: string;
  private kexAlg: string;
  private hostKeyAlg: string;
  private fingerprint: string;
  // Zeek's auth heuristic state.
  private authSuccess: number; // -1 unknown, 0 false, 1 true
  private authAttempts: number;
  private decided: boolean;
  private compressed: boolean;
  private sawClientEncrypted: boolean;
  private serviceAcceptSize: number;
  private failureSize: number;
  private skippedBanner: boolean;
  private serverSegments: number;

  constructor(conn: ConnInfo, sink: AppSink) {
    this.confirmed = false;
    this.done = false;
    this.conn = conn;
    this.sink = sink;
    this.cli = new Side();
    this.srv = new Side();
    this.firstTs = 0;
    this.lastTs = 0;
    this.logged = false;
    this.cipher = '';
    this.mac = '';
    this.compression = '';
    this.kexAlg = '';
    this.hostKeyAlg = '';
    this.fingerprint = '';
    this.authSuccess = -1;
    this.authAttempts = 0;
    this.decided = false;
    this.compressed = false;
    this.sawClientEncrypted = false;
    this.serviceAcceptSize = 0;
    this.failureSize = 0;
    this.skippedBanner = false;
    this.serverSegments = 0;
  }

  deliver(isOrig: boolean, buf: Buffer, off: number, len: number, ts: number): void {
    if (this.done || len <= 0) return;
    this.lastTs = ts;
    const side = isOrig ? this.cli : this.srv;
    const end = Math.min(buf.length, off + len);
    if (side.phase === Ph.ENCRYPTED) {
      this.encrypted(isOrig, end - off);
      return;
    }
    let p = off;
    while (p < end && !this.done) {
      if (side.phase === Ph.BANNER) {
        p = this.bannerBytes(side, isOrig, buf, p, end, ts);
      } else if (side.phase === Ph.PACKETS) {
        p = this.packetBytes(side, isOrig, buf, p, end);
        if ((side.phase as Ph) === Ph.ENCRYPTED && p < end && !this.done) {
          // Bytes after NEWKEYS in the same segment are the first encrypted ones (as in Zeek).
          this.encrypted(isOrig, end - p);
          p = end;
        }
      } else {
        return;
      }
    }
  }

  gap(_isOrig: boolean, _len: number): void {
    if (this.done) return;
    // Zeek stops analysing SSH at the first hole: neither framing nor segment sizes can be trusted.
    this.sink.weird('ssh_content_gap', this.lastTs, this.conn);
    this.stop();
  }

  finish(ts: number): void {
    if (ts > this.lastTs) this.lastTs = ts;
    this.stop();
  }

  // ---- banners ----

  private bannerBytes(side: Side, isOrig: boolean, buf: Buffer, p: number, end: number, ts: number): number {
    let lf = p;
    while (lf < end && buf[lf] !== 0x0a) lf++;
    this.appendLine(side, buf, p, lf);
    if (lf === end) return end;
    const lb = side.line as Buffer | null;
    let e = side.lineLen;
    if (lb !== null && e > 0 && lb[e - 1] === 0x0d && !side.lineCut) e--;
    const cut = side.lineCut;
    side.lineLen = 0;
    side.lineCut = false;
    if (lb !== null && e >= 4 && lb[0] === 0x53 && lb[1] === 0x53 && lb[2] === 0x48 && lb[3] === 0x2d) {
      if (cut) this.sink.weird('ssh_banner_too_long', ts, this.conn);
      this.banner(side, isOrig, lb, e, ts);
    } else if (isOrig) {
      // RFC 4253 §4.2: only the server may send other lines first.
      this.sink.weird('ssh_bad_banner', ts, this.conn);
      this.stop();
    } else if (++side.preLines > MAX_PRE_BANNER_LINES) {
      this.sink.weird('ssh_too_many_pre_banner_lines', ts, this.conn);
      this.stop();
    }
    return lf + 1;
  }

  private appendLine(side: Side, buf: Buffer, s: number, e: number): void {
    let n = e - s;
    if (n <= 0) return;
    const room = MAX_BANNER + 1 - side.lineLen;
    if (n > room) {
      side.lineCut = true;
      n = room;
      if (n <= 0) return;
    }
    if (side.line === null) side.line = Buffer.allocUnsafe(MAX_BANNER + 1);
    buf.copy(side.line, side.lineLen, s, s + n);
    side.lineLen += n;
  }

  private banner(side: Side, isOrig: boolean, lb: Buffer, e: number, ts: number): void {
    side.banner = safeString(lb, 0, e, MAX_BANNER);
    side.line = null;
    if (!this.confirmed) {
      this.confirmed = true;
      this.firstTs = ts;
    }
    // SSH-2.0 and SSH-1.99 speak the binary packet protocol; SSH-1.x does not.
    const major = lb[4];
    const two = major === 0x32 || (major === 0x31 && e > 7 && lb[5] === 0x2e && lb[6] === 0x39 && lb[7] === 0x39);
    side.phase = two ? Ph.PACKETS : Ph.IGNORE;
    if (isOrig && !two && this.srv.phase === Ph.PACKETS) this.srv.phase = Ph.IGNORE;
    if (!isOrig && two && this.cli.phase === Ph.IGNORE) side.phase = Ph.IGNORE;
    if (this.cli.phase === Ph.IGNORE && this.srv.phase === Ph.IGNORE) this.stop();
  }

  // ---- binary packets ----

  private packetBytes(side: Side, isOrig: boolean, buf: Buffer, p: number, end: number): number {
    while (p < end) {
      if (side.hdrLen < 6) {
        const n = Math.min(6 - side.hdrLen, end - p);
        buf.copy(side.hdr, side.hdrLen, p, p + n);
        side.hdrLen += n;
        p += n;
        if (side.hdrLen < 6) return p;
        if (!this.packetHeader(side, isOrig)) return end;
        if (side.remaining === 0 && !this.packetDone(side, isOrig)) return p;
        continue;
      }
      const n = Math.min(side.remaining, end - p);
      if (side.keepLen < side.keepWant && side.keep !== null) {
        const c = Math.min(n, side.keepWant - side.keepLen);
        buf.copy(side.keep, side.keepLen, p, p + c);
        side.keepLen += c;
      }
      side.remaining -= n;
      p += n;
      if (side.remaining === 0 && !this.packetDone(side, isOrig)) return p;
    }
    return p;
  }

  /** Reads packet_length, padding_length and the message type; false if it is not SSH. */
  private packetHeader(side: Side, isOrig: boolean): boolean {
    const h = side.hdr;
    const pktLen = h.readUInt32BE(0);
    const pad = h[4];
    if (pktLen > MAX_PACKET || pad + 2 > pktLen) {
      this.sink.weird('ssh_bad_packet_length', this.lastTs, this.conn);
      this.stop();
      return false;
    }
    side.msgType = h[5];
    side.remaining = pktLen - 2;
    const payload = pktLen - pad - 2;
    let want = 0;
    if (side.msgType === MSG_KEXINIT && side.kex === null) want = payload;
    else if (!isOrig && this.fingerprint === '' && side.msgType === this.replyType()) want = payload;
    if (want > MAX_KEEP) {
      this.sink.count('decoder.ssh.packet_capped');
      want = MAX_KEEP;
    }
    side.keepWant = want;
    side.keepLen = 0;
    side.keep = want > 0 ? Buffer.allocUnsafe(want) : null;
    return true;
  }

  /** The message that carries the host key, which depends on the negotiated key exchange. */
  private replyType(): number {
    if (this.kexAlg === '' || this.kexAlg === NEGOTIATION_FAILED) return -1;
    if (this.kexAlg.startsWith('diffie-hellman-group-exchange-')) return MSG_KEX_DH_GEX_REPLY;
    if (this.kexAlg.startsWith('gss-')) return -1;
    return MSG_KEX_REPLY;
  }

  /** A whole packet went by. Returns false when the side left the cleartext phase. */
  private packetDone(side: Side, isOrig: boolean): boolean {
    side.hdrLen = 0;
    const keep = side.keep;
    const kl = side.keepLen;
    side.keep = null;
    side.keepLen = 0;
    side.keepWant = 0;
    switch (side.msgType) {
      case MSG_KEXINIT:
        if (keep !== null && side.kex === null) {
          side.kex = parseKexInit(keep, 0, kl, isOrig);
          if (side.kex === null) this.sink.weird('ssh_bad_kexinit', this.lastTs, this.conn);
          else if (this.cli.kex !== null && this.srv.kex !== null) this.negotiate(this.cli.kex, this.srv.kex);
        }
        return true;
      case MSG_NEWKEYS:
        side.phase = Ph.ENCRYPTED;
        if (this.compressed && this.cli.phase === Ph.ENCRYPTED && this.srv.phase === Ph.ENCRYPTED) {
          // Zeek does not judge auth on compressed streams: nothing more to learn.
          this.stop();
        }
        return false;
      default:
        if (keep !== null && !isOrig && side.msgType === this.replyType()) this.hostKey(keep, kl);
        return true;
    }
  }

  private hostKey(b: Buffer, n: number): void {
    if (n < 4) return;
    const klen = b.readUInt32BE(0);
    if (klen === 0 || klen > n - 4) {
      this.sink.weird('ssh_host_key_truncated', this.lastTs, this.conn);
      return;
    }
    this.fingerprint = hostKeyFingerprint(b, 4, klen);
  }

  private negotiate(c: KexInit, s: KexInit): void {
    this.cipher = findBidiAlg(c.encC2S, c.encS2C, s.encC2S, s.encS2C);
    this.mac = findBidiAlg(c.macC2S, c.macS2C, s.macC2S, s.macS2C);
    this.compression = findBidiAlg(c.cmpC2S, c.cmpS2C, s.cmpC2S, s.cmpS2C);
    this.kexAlg = findAlg(c.kex, s.kex);
    this.hostKeyAlg = findAlg(c.hostKey, s.hostKey);
    this.compressed = this.compression === 'zlib' || this.compression === 'zlib@openssh.com';
  }

  // ---- after NEWKEYS: Zeek's auth guess from server segment sizes ----

  private encrypted(isOrig: boolean, len: number): void {
    if (this.decided || this.version() !== 2) return;
    if (isOrig) {
      this.sawClientEncrypted = true;
      return;
    }
    // Server data before any encrypted client data is not an answer to anything yet.
    if (!this.sawClientEncrypted) return;
    if (++this.serverSegments > MAX_ENCRYPTED_SEGMENTS) {
      this.sink.count('decoder.ssh.auth_undecided');
      this.stop();
      return;
    }
    // First: SERVICE_ACCEPT, whose size is the yardstick for the rest.
    if (this.serviceAcceptSize === 0) {
      this.serviceAcceptSize = len;
      return;
    }
    // USERAUTH_SUCCESS is 16 bytes smaller than SERVICE_ACCEPT after padding.
    if (this.failureSize === 0 && len + 16 === this.serviceAcceptSize) {
      this.attempt(true);
      return;
    }
    if (this.failureSize === 0) {
      // A much larger first answer is a pre-auth banner; skip it once.
      if (!this.skippedBanner && len - this.serviceAcceptSize > 256) {
        this.skippedBanner = true;
        return;
      }
      this.failureSize = len;
      return;
    }
    if (len === this.failureSize) {
      this.attempt(false);
      return;
    }
    if (len - this.serviceAcceptSize === -16) this.attempt(true);
  }

  private attempt(ok: boolean): void {
    if (ok) this.decided = true;
    if (!this.compressed) {
      this.authSuccess = ok ? 1 : 0;
      this.authAttempts++;
    }
    if (ok) this.stop();
  }

  /** Zeek's set_version(): the pair of banners decides (0 = they cannot talk to each other). */
  private version(): number {
    const c = this.cli.banner;
    const s = this.srv.banner;
    if (c.length <= 4 || s.length <= 4) return -1;
    const c4 = c.charCodeAt(4);
    const s4 = s.charCodeAt(4);
    const c99 = c.length > 7 && c.charCodeAt(6) === 0x39 && c.charCodeAt(7) === 0x39;
    const s99 = s.length > 7 && s.charCodeAt(6) === 0x39 && s.charCodeAt(7) === 0x39;
    if (c4 === 0x31 && s4 === 0x32) return c99 ? 2 : 0;
    if (c4 === 0x32 && s4 === 0x31) return s99 ? 2 : 0;
    if (c4 === 0x31 && s4 === 0x31) return s99 ? (c99 ? 2 : 1) : 1;
    if (c4 === 0x32 && s4 === 0x32) return 2;
    return -1;
  }

  // ---- output ----

  private stop(): void {
    this.done = true;
    this.cli.keep = null;
    this.srv.keep = null;
    this.cli.line = null;
    this.srv.line = null;
    if (this.logged || !this.confirmed) return;
    this.logged = true;
    const f: LogFields = {};
    const v = this.version();
    if (v >= 0) f.version = v;
    if (this.authSuccess >= 0) f.auth_success = this.authSuccess === 1;
    f.auth_attempts = this.authAttempts;
    if (this.cli.banner !== '') f.client = this.cli.banner;
    if (this.srv.banner !== '') f.server = this.srv.banner;
    if (this.cipher !== '') f.cipher_alg = this.cipher;
    if (this.mac !== '') f.mac_alg = this.mac;
    if (this.compression !== '') f.compression_alg = this.compression;
    if (this.kexAlg !== '') f.kex_alg = this.kexAlg;
    if (this.hostKeyAlg !== '') f.host_key_alg = this.hostKeyAlg;
    if (this.fingerprint !== '') f.host_key_fingerprint = this.fingerprint;
    if (this.cli.kex !== null) f.hassh = this.cli.kex.hassh;
    if (this.srv.kex !== null) f.hasshServer = this.srv.kex.hassh;
    this.sink.log('ssh', this.firstTs, this.conn, f);
  }
}

export function createSshFactory(): AppAnalyzerFactory {
  return {
    service: 'ssh',
    tcp: true,
    udp: false,
    ports: SSH_PORTS,
    sniff(_isOrig: boolean, buf: Buffer, off: number, len: number): boolean {
      return len >= 4 && off + 4 <= buf.length &&
        buf[off] === 0x53 && buf[off + 1] === 0x53 && buf[off + 2] === 0x48 && buf[off + 3] === 0x2d;
    },
    create(conn: ConnInfo, sink: AppSink): AppAnalyzer {
      return new SshAnalyzer(conn, sink);
    },
  };
}
