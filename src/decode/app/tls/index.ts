/**
 * TLS analyzer: follows the record layer in both directions, reads the cleartext handshake
 * (ClientHello, ServerHello, ServerKeyExchange curve, message types for ssl_history), fingerprints
 * the hellos (JA3, JA3S, JA4) and writes one Zeek-style ssl.log record per flow.
 *
 * Encryption tracking follows Zeek's SSL analyzer so `established` and `ssl_history` compare equal:
 * - a direction turns encrypted on its ChangeCipherSpec, except when TLS 1.3 (or a draft) was
 *   negotiated, where CCS is compatibility noise and is ignored;
 * - a direction also turns encrypted on its first application_data record once the negotiated
 *   version is not SSLv2..TLS 1.2 (TLS 1.3, where handshake records after the ServerHello are
 *   disguised as application data, and 0-RTT data sent before any ServerHello);
 * - `established` becomes true on the first encrypted record seen while both directions are
 *   encrypted. For TLS 1.2 that is the server's Finished after its CCS; for TLS 1.3 the client's
 *   first encrypted record (its Finished).
 * The record is written when the flow is established (and the analyzer is then done: nothing
 * after that is cleartext), when we give up on a malformed stream, or at finish().
 *
 * Bytes are consumed as they come: record and handshake headers are accumulated in numbers, bodies
 * we do not need are skipped by count, and a hello is parsed in place when it sits whole in one
 * delivered chunk; only a hello split across records or segments is copied (<= 16 KiB per flow).
 */
import type { AppAnalyzer, AppAnalyzerFactory, AppSink, ConnInfo } from '../analyzer.js';
import {
  alertName, cipherHasEcdheKeyExchange, cipherName, curveName, handshakeLetter, isGrease,
  isTls13Family, TLSv13, versionName,
} from './consts.js';
import { ja3sString, ja3String, ja4, md5Hex } from './fingerprint.js';
import { ClientHello, parseClientHello, parseServerHello, ServerHello, MAX_LIST_ITEMS } from './hello.js';
import type { SslLog } from './types.js';

export type { SslLog } from './types.js';

/** Largest ClientHello/ServerHello body we buffer (reliability.md R7). */
export const MAX_HELLO_BYTES = 16 * 1024;
/** TLSCiphertext.length limit (RFC 5246 6.2.3): 2^14 + 2048. Longer means we lost framing. */
const MAX_RECORD_BYTES = 16384 + 2048;
/** Zeek's SSL::max_ssl_history_length. */
const MAX_HISTORY = 100;
/** Zeek's SSL::max_alerts_per_record. */
const MAX_ALERTS_PER_RECORD = 10;

const CT_CCS = 20;
const CT_ALERT = 21;
const CT_HANDSHAKE = 22;
const CT_APPDATA = 23;
const CT_HEARTBEAT = 24;

const HS_CLIENT_HELLO = 1;
const HS_SERVER_HELLO = 2;
const HS_SERVER_KEY_EXCHANGE = 12;
const HS_CLIENT_KEY_EXCHANGE = 16;

const MODE_SKIP = 0;
const MODE_HANDSHAKE = 1;
const MODE_ALERT = 2;

/** Zeek's TLS ports plus the TLS-wrapped services common on home/IoT networks. */
const PORTS: readonly number[] = [
  443, 465, 563, 585, 614, 636, 853, 989, 990, 992, 993, 995, 5061, 5223, 8443, 8883,
];

/** Record-layer and handshake-layer reassembly state of one direction. */
class Side {
  readonly isOrig: boolean;
  /** Record header bytes read so far (0-5); 5 means we are inside the record body. */
  hdrGot: number;
  recType: number;
  recVer: number;
  recLen: number;
  recLeft: number;
  mode: number;
  encrypted: boolean;
  alertsInRecord: number;
  alertHalf: number;
  /** Handshake message header bytes read so far (0-4); 4 means inside the body. */
  hsHdrGot: number;
  hsType: number;
  hsLen: number;
  hsLeft: number;
  /** How many leading body bytes of the current message we need (0: none). */
  want: number;
  hsBuf: Buffer | null;
  hsBufLen: number;

  constructor(isOrig: boolean) {
    this.isOrig = isOrig;
    this.hdrGot = 0;
    this.recType = 0;
    this.recVer = 0;
    this.recLen = 0;
    this.recLeft = 0;
    this.mode = MODE_SKIP;
    this.encrypted = false;
    this.alertsInRecord = 0;
    this.alertHalf = -1;
    this.hsHdrGot = 0;
    this.hsType = 0;
    this.hsLen = 0;
    this.hsLeft = 0;
    this.want = 0;
    this.hsBuf = null;
    this.hsBufLen = 0;
  }

  resetHandshake(): void {
    this.hsHdrGot = 0;
    this.hsLeft = 0;
    this.want = 0;
    this.hsBuf = null;
    this.hsBufLen = 0;
  }
}

class TlsAnalyzer implements AppAnalyzer {
  confirmed: boolean;
  done: boolean;
  private readonly conn: ConnInfo;
  private readonly sink: AppSink;
  private readonly orig: Side;
  private readonly resp: Side;
  /** The ClientHello came from the responder (Zeek's `^`): client = responder from then on. */
  private flipped: boolean;
  private sawRecord: boolean;
  private logged: boolean;
  private firstTs: number;
  /** Packet time of the latest delivery, for events that come without one (gap). */
  private lastTs: number;
  private history: string;
  private client: ClientHello | null;
  private server: ServerHello | null;
  /** Version the server chose (0 until a ServerHello); drives TLS 1.3 record handling. */
  private versionNum: number;
  private cipher: number;
  private curve: string | undefined;
  private lastAlert: string | undefined;
  private nextProtocol: string | undefined;
  private resumed: boolean;
  private established: boolean;
  private clientKeyExchangeSeen: boolean;
  /** Client sent a session ticket with an empty session id: a CCS without key exchange resumes. */
  private ticketResumption: boolean;

  constructor(conn: ConnInfo, sink: AppSink) {
    this.confirmed = false;
    this.done = false;
    this.conn = conn;
    this.sink = sink;
    this.orig = new Side(true);
    this.resp = new Side(false);
    this.flipped = false;
    this.sawRecord = false;
    this.logged = false;
    this.firstTs = 0;
    this.lastTs = 0;
    this.history = '';
    this.client = null;
    this.server = null;
    this.versionNum = 0;
    this.cipher = -1;
    this.curve = undefined;
    this.lastAlert = undefined;
    this.nextProtocol = undefined;
    this.resumed = false;
    this.established = false;
    this.clientKeyExchangeSeen = false;
    this.ticketResumption = false;
  }

  deliver(isOrig: boolean, buf: Buffer, off: number, len: number, ts: number): void {
    if (this.done || off < 0 || len <= 0) return;
    this.lastTs = ts;
    let end = off + len;
    if (end > buf.length) end = buf.length;
    const s = isOrig ? this.orig : this.resp;
    let p = off;
    while (p < end && !this.done) {
      if (s.hdrGot < 5) {
        const b = buf[p++];
        switch (s.hdrGot) {
          case 0: s.recType = b; break;
          case 1: s.recVer = b << 8; break;
          case 2: s.recVer |= b; break;
          case 3: s.recLen = b << 8; break;
          default: s.recLen |= b; break;
        }
        s.hdrGot++;
        if (s.hdrGot === 1 && b >= 0x80 && !this.sawRecord) {
          // SSLv2-framed ClientHello (2-byte header with the high bit set).
          this.notTls(ts, 'tls_sslv2_unsupported');
          return;
        }
        if (s.hdrGot === 5) this.recordHeader(s, ts);
        continue;
      }
      let n = end - p;
      if (n > s.recLeft) n = s.recLeft;
      if (s.mode === MODE_HANDSHAKE) this.handshakeBytes(s, buf, p, n, ts);
      else if (s.mode === MODE_ALERT) this.alertBytes(s, buf, p, n, ts);
      p += n;
      s.recLeft -= n;
      if (s.recLeft === 0) s.hdrGot = 0;
    }
  }

  gap(isOrig: boolean, len: number): void {
    if (this.done) return;
    const s = isOrig ? this.orig : this.resp;
    // A hole inside a record body we only skip (certificates, encrypted data) costs nothing;
    // anywhere else the framing is lost.
    const inSkippedBody = s.hdrGot === 5 && len <= s.recLeft
      && (s.mode === MODE_SKIP
        || (s.mode === MODE_HANDSHAKE && s.hsHdrGot === 4 && s.want === 0 && len <= s.hsLeft));
    if (inSkippedBody) {
      s.recLeft -= len;
      if (s.mode === MODE_HANDSHAKE) s.hsLeft -= len;
      if (s.recLeft === 0) s.hdrGot = 0;
      if (s.mode === MODE_HANDSHAKE && s.hsLeft === 0) {
        this.handshakeMessage(s, this.lastTs);
        s.resetHandshake();
      }
      return;
    }
    this.sink.count('decoder.tls.gap_abort');
    this.giveUp(this.lastTs);
  }

  finish(ts: number): void {
    if (!this.logged) this.emit(ts);
    this.done = true;
  }

  // --- record layer -------------------------------------------------------------------------

  private recordHeader(s: Side, ts: number): void {
    const t = s.recType;
    const major = s.recVer >> 8;
    const minor = s.recVer & 0xff;
    if (t < CT_CCS || t > 26 || major !== 3 || minor > 4) {
      if (!this.sawRecord) { this.notTls(ts, ''); return; }
      this.sink.weird('tls_invalid_record', ts, this.conn, 'type=' + t + ' version=' + s.recVer);
      this.giveUp(ts);
      return;
    }
    if (s.recLen > MAX_RECORD_BYTES) {
      this.sink.weird('tls_record_too_long', ts, this.conn, String(s.recLen));
      this.giveUp(ts);
      return;
    }
    if (!this.sawRecord) {
      if (t !== CT_HANDSHAKE) {
        // Picked up mid-stream (sensor started late, flow table evicted it): the records are
        // encrypted whatever their type says, and without the hellos there is nothing to log.
        this.sink.count('decoder.tls.midstream');
        this.done = true;
        return;
      }
      this.sawRecord = true;
      this.firstTs = ts;
    }
    s.recLeft = s.recLen;
    s.mode = MODE_SKIP;
    if (s.encrypted) {
      this.encryptedRecord(ts);
    } else {
      switch (t) {
        case CT_CCS:
          this.changeCipherSpec(s, ts);
          break;
        case CT_ALERT:
          s.mode = MODE_ALERT;
          s.alertsInRecord = 0;
          s.alertHalf = -1;
          break;
        case CT_HANDSHAKE:
          s.mode = MODE_HANDSHAKE;
          break;
        case CT_APPDATA:
          // Zeek: application data before any ServerHello (0-RTT) or after a TLS 1.3 one is
          // encrypted; TLS <= 1.2 cleartext application data is just skipped.
          if (this.versionNum === 0 || isTls13Family(this.versionNum)) {
            s.encrypted = true;
            this.encryptedRecord(ts);
          }
          break;
        case CT_HEARTBEAT:
          this.addHistory(s.isOrig !== this.flipped, 'b', ts);
          break;
      }
    }
  }

  private changeCipherSpec(s: Side, ts: number): void {
    const isClient = s.isOrig !== this.flipped;
    this.addHistory(isClient, 'i', ts);
    if (isClient && this.ticketResumption && !this.clientKeyExchangeSeen) this.resumed = true;
    if (isTls13Strict(this.versionNum)) return;
    s.encrypted = true;
    s.resetHandshake();
  }

  private encryptedRecord(ts: number): void {
    if (this.established || !this.orig.encrypted || !this.resp.encrypted) return;
    this.established = true;
    this.emit(ts);
    this.done = true;
  }

  private alertBytes(s: Side, buf: Buffer, p: number, n: number, ts: number): void {
    const end = p + n;
    // RFC 8446 5.1: one alert per record in TLS 1.3.
    const cap = isTls13Strict(this.versionNum) ? 1 : MAX_ALERTS_PER_RECORD;
    for (let i = p; i < end; i++) {
      if (s.alertHalf < 0) { s.alertHalf = buf[i]; continue; }
      s.alertHalf = -1;
      s.alertsInRecord++;
      if (s.alertsInRecord > cap) {
        if (s.alertsInRecord === cap + 1) this.sink.weird('tls_excessive_alerts_in_record', ts, this.conn);
        continue;
      }
      this.addHistory(s.isOrig !== this.flipped, 'l', ts);
      this.lastAlert = alertName(buf[i]);
    }
  }

  // --- handshake layer ----------------------------------------------------------------------

  private handshakeBytes(s: Side, buf: Buffer, p: number, n: number, ts: number): void {
    const end = p + n;
    while (p < end && !this.done) {
      if (s.hsHdrGot < 4) {
        const b = buf[p++];
        switch (s.hsHdrGot) {
          case 0: s.hsType = b; s.hsLen = 0; break;
          default: s.hsLen = (s.hsLen << 8) | b; break;
        }
        s.hsHdrGot++;
        if (s.hsHdrGot === 4) {
          if (!this.handshakeHeader(s, ts)) return;
          if (s.hsLen === 0) {
            this.handshakeMessage(s, ts);
            s.resetHandshake();
          } else if (s.want > 0 && end - p >= s.want) {
            // The part we need is here in one piece: parse the view, no copy.
            this.collected(s, buf, p, s.want, ts);
            s.want = 0;
          }
        }
        continue;
      }
      let k = end - p;
      if (k > s.hsLeft) k = s.hsLeft;
      if (s.want > 0) {
        if (s.hsBuf === null) {
          s.hsBuf = Buffer.allocUnsafe(s.want);
          s.hsBufLen = 0;
        }
        let c = s.want - s.hsBufLen;
        if (c > k) c = k;
        buf.copy(s.hsBuf, s.hsBufLen, p, p + c);
        s.hsBufLen += c;
        if (s.hsBufLen === s.want) {
          this.collected(s, s.hsBuf, 0, s.want, ts);
          s.want = 0;
          s.hsBuf = null;
        }
        if (this.done) return;
      }
      p += k;
      s.hsLeft -= k;
      if (s.hsLeft === 0) {
        this.handshakeMessage(s, ts);
        s.resetHandshake();
      }
    }
  }

  /** A handshake header is complete: decide how much of the body to keep. False = gave up. */
  private handshakeHeader(s: Side, ts: number): boolean {
    s.hsLeft = s.hsLen;
    s.want = 0;
    const t = s.hsType;
    if (t === HS_CLIENT_HELLO || t === HS_SERVER_HELLO) {
      if (s.hsLen > MAX_HELLO_BYTES) {
        this.sink.count('decoder.tls.hello_too_large');
        this.sink.weird('tls_hello_too_large', ts, this.conn, String(s.hsLen));
        this.giveUp(ts);
        return false;
      }
      // Only the first ClientHello is fingerprinted (a second one follows a HelloRetryRequest).
      if (t === HS_SERVER_HELLO || this.client === null) s.want = s.hsLen;
    } else if (t === HS_SERVER_KEY_EXCHANGE && s.hsLen >= 3 && cipherHasEcdheKeyExchange(this.cipher)) {
      s.want = 3;
    }
    return true;
  }

  /** The first `s.want` body bytes of the current message are at buf[off, off+len). */
  private collected(s: Side, buf: Buffer, off: number, len: number, ts: number): void {
    const t = s.hsType;
    if (t === HS_CLIENT_HELLO) {
      if (!s.isOrig && this.client === null && this.history === '') {
        this.flipped = true;
        this.history = '^';
      }
      const r = parseClientHello(buf, off, len);
      if (typeof r === 'string') {
        this.sink.weird('tls_client_hello_malformed', ts, this.conn, r);
        return;
      }
      this.client = r;
      this.confirmed = true;
      if (r.serverNameCount > 1) this.sink.weird('tls_many_server_names', ts, this.conn, String(r.serverNameCount));
      if (r.listsCapped || r.supportedVersions.length > MAX_LIST_ITEMS) this.sink.count('decoder.tls.list_capped');
      for (const e of r.badExtensions) this.sink.weird('tls_extension_malformed', ts, this.conn, 'client ' + e);
      // Zeek keeps the ticket-resumption hint only when there is no real session id.
      this.ticketResumption = r.ticketOffered && !isRealSessionId(r.sessionId);
    } else if (t === HS_SERVER_HELLO) {
      const r = parseServerHello(buf, off, len);
      if (typeof r === 'string') {
        this.sink.weird('tls_server_hello_malformed', ts, this.conn, r);
        return;
      }
      this.serverHello(r, ts);
    } else if (t === HS_SERVER_KEY_EXCHANGE) {
      // ECParameters: curve_type 3 = named_curve, then the NamedGroup.
      if (buf[off] === 3) this.curve = curveName((buf[off + 1] << 8) | buf[off + 2]);
    }
  }

  private serverHello(sh: ServerHello, ts: number): void {
    this.server = sh;
    this.confirmed = true;
    if (sh.selectedVersion !== 0) this.versionNum = sh.selectedVersion;
    else if (this.versionNum === 0) this.versionNum = sh.version;
    this.cipher = sh.cipher;
    if (sh.keyShareGroup >= 0) this.curve = curveName(sh.keyShareGroup);
    if (sh.alpn !== undefined) this.nextProtocol = sh.alpn;
    for (const e of sh.badExtensions) this.sink.weird('tls_extension_malformed', ts, this.conn, 'server ' + e);
    const ch = this.client;
    if (ch !== null) {
      if (sh.pskAccepted && ch.pskOffered) this.resumed = true;
      // TLS 1.3 middlebox-compat mode echoes a random session id: not a resumption.
      if (!isTls13Strict(this.versionNum) && sameSessionId(ch.sessionId, sh.sessionId)) this.resumed = true;
    }
  }

  /** A whole handshake message went by (its body possibly skipped). */
  private handshakeMessage(s: Side, ts: number): void {
    const isClient = s.isOrig !== this.flipped;
    let letter = handshakeLetter(s.hsType);
    if (s.hsType === HS_SERVER_HELLO && this.server !== null && this.server.isHelloRetry) {
      letter = 'j';
      this.server.isHelloRetry = false;
    }
    if (s.hsType === HS_CLIENT_KEY_EXCHANGE && isClient) this.clientKeyExchangeSeen = true;
    this.addHistory(isClient, letter, ts);
  }

  private addHistory(isClient: boolean, letter: string, ts: number): void {
    if (this.history.length >= MAX_HISTORY) return;
    this.history += isClient ? letter.toUpperCase() : letter;
    if (this.history.length === MAX_HISTORY) {
      this.sink.count('decoder.tls.history_capped');
      this.sink.weird('tls_max_history_length_reached', ts, this.conn);
    }
  }

  // --- ending -------------------------------------------------------------------------------

  /** First bytes are not TLS: leave quietly unless there is a specific anomaly to report. */
  private notTls(ts: number, weird: string): void {
    this.sink.count('decoder.tls.not_tls');
    if (weird !== '') this.sink.weird(weird, ts, this.conn);
    this.done = true;
  }

  private giveUp(ts: number): void {
    if (!this.logged) this.emit(ts);
    this.done = true;
  }

  private emit(ts: number): void {
    if (this.logged) return;
    this.logged = true;
    // Like Zeek, a flow gets an ssl record once some TLS message was understood.
    const ch = this.client;
    const sh = this.server;
    if (ch === null && sh === null && this.history === '') return;
    const ja3s = sh !== null ? ja3sString(sh) : undefined;
    const ja3 = ch !== null ? ja3String(ch) : undefined;
    let versions: string[] | undefined;
    if (ch !== null) {
      for (const v of ch.supportedVersions) {
        if (isGrease(v)) continue;
        if (versions === undefined) versions = [];
        if (versions.length < MAX_LIST_ITEMS) versions.push(versionName(v));
      }
    }
    // Zeek column order; unset columns are removed below so they are absent, not null.
    const out: SslLog = {
      version: this.versionNum !== 0 ? versionName(this.versionNum) : undefined,
      cipher: this.cipher >= 0 ? cipherName(this.cipher) : undefined,
      curve: this.curve,
      server_name: ch !== null ? ch.serverName : undefined,
      resumed: this.resumed,
      last_alert: this.lastAlert,
      next_protocol: this.nextProtocol,
      established: this.established,
      ssl_history: this.history,
      ja3: ja3 !== undefined ? md5Hex(ja3) : undefined,
      ja3s: ja3s !== undefined ? md5Hex(ja3s) : undefined,
      ja4: ch !== null ? ja4(ch) : undefined,
      client_alpn: ch !== null && ch.alpn.length > 0 ? ch.alpn : undefined,
      client_versions: versions,
      ja3_string: ja3,
      ja3s_string: ja3s,
    };
    const rec = out as Record<string, unknown>;
    for (const k of Object.keys(rec)) if (rec[k] === undefined) delete rec[k];
    this.sink.log('ssl', this.firstTs !== 0 ? this.firstTs : ts, this.conn, rec);
  }
}

/** Zeek's conservative TLS 1.3 test (final or draft number), used where CCS must be ignored. */
function isTls13Strict(v: number): boolean {
  return v === TLSv13 || (v >> 8) === 0x7f;
}

/** Zeek ignores an empty or all-zero 32-byte session id (a placeholder, not a session). */
function isRealSessionId(a: Buffer | null): boolean {
  if (a === null || a.length === 0) return false;
  if (a.length !== 32) return true;
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return true;
  return false;
}

function sameSessionId(a: Buffer | null, b: Buffer | null): boolean {
  return a !== null && b !== null && isRealSessionId(a) && a.equals(b);
}

export function createTlsFactory(): AppAnalyzerFactory {
  return {
    service: 'ssl',
    tcp: true,
    udp: false,
    ports: PORTS,
    sniff(_isOrig: boolean, buf: Buffer, off: number, len: number): boolean {
      // A handshake record of SSLv3..TLS 1.3 framing whose first message is a ClientHello.
      return len >= 6 && off + 6 <= buf.length && buf[off] === 0x16 && buf[off + 1] === 0x03
        && buf[off + 2] <= 0x04 && buf[off + 5] === 0x01;
    },
    create(conn: ConnInfo, sink: AppSink): AppAnalyzer {
      return new TlsAnalyzer(conn, sink);
    },
  };
}
