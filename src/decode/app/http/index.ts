/**
 * HTTP/1.x analyzer: request/status lines and headers parsed incrementally line by line, bodies
 * skipped by Content-Length or chunked framing (sizes counted, bytes never kept), pipelined
 * requests matched to responses in order. One http.log record per request/response pair, written
 * when both messages are complete, or at finish for what is still pending (as Zeek does).
 *
 * Memory per flow: a line buffer per direction that exists only while a line spans segments
 * (≤ 8 KiB), and the queue of unanswered requests (≤ 100, Zeek's max_pending_requests).
 */
import type { AppAnalyzer, AppAnalyzerFactory, AppSink, ConnInfo, LogFields } from '../analyzer.js';
import { safeString, MAX_STRING } from '../../../util/text.js';
import {
  basicAuthUser, endsWithChunked, isTchar, looksLikeRequest, methodIndex, methodName, nameIs,
  parseChunkSize, parseDecimal, parseVersion, unescapeUri, type UnescapeResult,
  H_AUTHORIZATION, H_CONTENT_LENGTH, H_CONTENT_TYPE, H_HOST, H_ORIGIN, H_PROXY_AUTHORIZATION,
  H_REFERER, H_TRANSFER_ENCODING, H_USER_AGENT, M_CONNECT, M_HEAD,
} from './parse.js';

export type { HttpRecord } from './types.js';

export const HTTP_PORTS: readonly number[] = [80, 8080, 8000, 8008, 8081, 8888, 3128, 7547, 5000];

/** reliability.md R7: headers per message and bytes per header block we interpret. */
export const MAX_HEADERS = 100;
export const MAX_HEADER_BLOCK = 8192;
/** A header block this large is not HTTP we can follow: give the flow up. */
export const HARD_HEADER_BLOCK = 65536;
/** Longest line we buffer across segments; the rest of a longer line is dropped. */
export const MAX_LINE = 8192;
export const MAX_PENDING = 100;
export const MAX_USER_AGENT = 512;

const enum St {
  START, HEADERS, BODY_LEN, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER, BODY_EOF, DEAD,
}

/** One request/response pair. */
class Tx {
  ts: number;
  depth: number;
  method: string;
  methodIdx: number;
  uri: string;
  reqVersion: string;
  host: string;
  referrer: string;
  userAgent: string;
  origin: string;
  username: string;
  reqBody: number;
  respBody: number;
  status: number;
  statusMsg: string;
  respVersion: string;
  infoCode: number;
  infoMsg: string;
  contentType: string;
  reqDone: boolean;
  respDone: boolean;

  constructor(ts: number, depth: number) {
    this.ts = ts;
    this.depth = depth;
    this.method = '';
    this.methodIdx = -1;
    this.uri = '';
    this.reqVersion = '';
    this.host = '';
    this.referrer = '';
    this.userAgent = '';
    this.origin = '';
    this.username = '';
    this.reqBody = 0;
    this.respBody = 0;
    this.status = -1;
    this.statusMsg = '';
    this.respVersion = '';
    this.infoCode = -1;
    this.infoMsg = '';
    this.contentType = '';
    this.reqDone = false;
    this.respDone = false;
  }
}

/** Parse state of one direction. */
class Half {
  state: St;
  /** Holds a line that spans segments; allocated on first need, grows up to MAX_LINE. */
  line: Buffer | null;
  lineLen: number;
  lineCut: boolean;
  remaining: number;
  headers: number;
  headerBytes: number;
  capped: boolean;
  contentLength: number;
  chunked: boolean;
  teSeen: boolean;
  tx: Tx | null;

  constructor() {
    this.state = St.START;
    this.line = null;
    this.lineLen = 0;
    this.lineCut = false;
    this.remaining = 0;
    this.headers = 0;
    this.headerBytes = 0;
    this.capped = false;
    this.contentLength = -1;
    this.chunked = false;
    this.teSeen = false;
    this.tx = null;
  }

  resetMessage(): void {
    this.headers = 0;
    this.headerBytes = 0;
    this.capped = false;
    this.contentLength = -1;
    this.chunked = false;
    this.teSeen = false;
  }
}

class HttpAnalyzer implements AppAnalyzer {
  confirmed: boolean;
  done: boolean;
  private readonly conn: ConnInfo;
  private readonly sink: AppSink;
  private readonly req: Half;
  private readonly resp: Half;
  private readonly pending: Tx[];
  private depth: number;
  private lastTs: number;
  private readonly uriOut: UnescapeResult;

  constructor(conn: ConnInfo, sink: AppSink) {
    this.confirmed = false;
    this.done = false;
    this.conn = conn;
    this.sink = sink;
    this.req = new Half();
    this.resp = new Half();
    this.pending = [];
    this.depth = 0;
    this.lastTs = 0;
    this.uriOut = { text: '', truncated: false, badEscape: false };
  }

  deliver(isOrig: boolean, buf: Buffer, off: number, len: number, ts: number): void {
    if (this.done || len <= 0) return;
    this.lastTs = ts;
    const h = isOrig ? this.req : this.resp;
    let p = off;
    const end = Math.min(buf.length, off + len);
    while (p < end && !this.done) {
      switch (h.state) {
        case St.BODY_LEN:
        case St.CHUNK_DATA: {
          const n = Math.min(h.remaining, end - p);
          h.remaining -= n;
          this.addBody(h, isOrig, n);
          p += n;
          if (h.remaining === 0) {
            if (h.state === St.CHUNK_DATA) h.state = St.CHUNK_END;
            else this.messageDone(h, isOrig);
          }
          break;
        }
        case St.BODY_EOF:
          this.addBody(h, isOrig, end - p);
          p = end;
          break;
        case St.DEAD:
          return;
        default: {
          let lf = p;
          while (lf < end && buf[lf] !== 0x0a) lf++;
          if (lf === end) {
            this.appendLine(h, buf, p, end);
            p = end;
            break;
          }
          if (h.lineLen > 0 || h.lineCut) {
            this.appendLine(h, buf, p, lf);
            const lb = h.line as Buffer;
            let e = h.lineLen;
            if (e > 0 && lb[e - 1] === 0x0d && !h.lineCut) e--;
            const cut = h.lineCut;
            h.lineLen = 0;
            h.lineCut = false;
            if (cut) this.sink.count('decoder.http.line_truncated');
            this.line(h, isOrig, lb, 0, e, ts);
          } else {
            let e = lf;
            if (e > p && buf[e - 1] === 0x0d) e--;
            this.line(h, isOrig, buf, p, e, ts);
          }
          p = lf + 1;
        }
      }
    }
  }

  gap(isOrig: boolean, len: number): void {
    if (this.done) return;
    const h = isOrig ? this.req : this.resp;
    if ((h.state === St.BODY_LEN || h.state === St.CHUNK_DATA) && len <= h.remaining) {
      // A hole inside a body of known size: skip it and stay in sync, as Zeek does.
      h.remaining -= len;
      if (h.remaining === 0) {
        if (h.state === St.CHUNK_DATA) h.state = St.CHUNK_END;
        else this.messageDone(h, isOrig);
      }
      return;
    }
    if (h.state === St.BODY_EOF) return;
    this.sink.weird('http_content_gap', this.lastTs, this.conn);
    this.giveUp();
  }

  finish(ts: number): void {
    if (ts > this.lastTs) this.lastTs = ts;
    this.flushAll();
    this.done = true;
  }

  // ---- lines ----

  private appendLine(h: Half, buf: Buffer, s: number, e: number): void {
    let n = e - s;
    if (n <= 0) return;
    const room = MAX_LINE - h.lineLen;
    if (n > room) {
      h.lineCut = true;
      n = room;
      if (n <= 0) return;
    }
    const need = h.lineLen + n;
    if (h.line === null || h.line.length < need) {
      let size = h.line === null ? 256 : h.line.length * 2;
      while (size < need) size *= 2;
      if (size > MAX_LINE) size = MAX_LINE;
      const nb = Buffer.allocUnsafe(size);
      if (h.line !== null) h.line.copy(nb, 0, 0, h.lineLen);
      h.line = nb;
    }
    buf.copy(h.line, h.lineLen, s, s + n);
    h.lineLen += n;
  }

  /** One complete line [s, e), CR LF already stripped. */
  private line(h: Half, isOrig: boolean, b: Buffer, s: number, e: number, ts: number): void {
    switch (h.state) {
      case St.START:
        if (e === s) return; // RFC 9112 §2.2: tolerate empty lines between messages
        if (isOrig) this.requestLine(b, s, e, ts);
        else this.statusLine(b, s, e, ts);
        return;
      case St.HEADERS:
        if (e === s) { this.endOfHeaders(h, isOrig); return; }
        this.headerLine(h, isOrig, b, s, e);
        return;
      case St.CHUNK_END:
        if (e === s) { h.state = St.CHUNK_SIZE; return; }
        // Some servers omit the CRLF after chunk data; read the line as the next size.
        this.sink.weird('http_bad_chunk_terminator', ts, this.conn);
        this.chunkSize(h, b, s, e, ts);
        return;
      case St.CHUNK_SIZE:
        this.chunkSize(h, b, s, e, ts);
        return;
      case St.TRAILER:
        if (e === s) this.messageDone(h, isOrig);
        return;
      default:
        return;
    }
  }

  private chunkSize(h: Half, b: Buffer, s: number, e: number, ts: number): void {
    const size = parseChunkSize(b, s, e);
    if (size < 0) {
      this.sink.weird('http_bad_chunk_size', ts, this.conn);
      this.giveUp();
      return;
    }
    if (size === 0) { h.state = St.TRAILER; return; }
    h.remaining = size;
    h.state = St.CHUNK_DATA;
  }

  private requestLine(b: Buffer, s: number, e: number, ts: number): void {
    // METHOD SP request-target SP HTTP-version; the target is what lies between the first space
    // and the last one, so targets with stray spaces still parse (Zeek does the same).
    let sp1 = s;
    while (sp1 < e && isTchar(b[sp1])) sp1++;
    if (sp1 === s || sp1 >= e || b[sp1] !== 0x20 || sp1 - s > 32) {
      this.badStart('http_bad_request_line', ts);
      return;
    }
    let us = sp1 + 1;
    while (us < e && b[us] === 0x20) us++;
    let sp2 = e;
    while (sp2 > us && b[sp2 - 1] !== 0x20) sp2--;
    let ue: number;
    let version: string;
    if (sp2 > us) {
      version = parseVersion(b, sp2, e);
      ue = sp2 - 1;
      while (ue > us && b[ue - 1] === 0x20) ue--;
    } else {
      version = '';
      ue = e;
    }
    if (version === '') {
      // Two tokens is HTTP/0.9 (`GET /path`); anything else is not a request line.
      if (sp2 > us || ue === us) {
        this.badStart('http_bad_request_line', ts);
        return;
      }
      version = '0.9';
    } else {
      this.confirmed = true;
    }

    if (this.pending.length >= MAX_PENDING) {
      // Zeek's answer to runaway pipelining: log everything pending and start over.
      this.sink.weird('http_excessive_pipelining', ts, this.conn);
      this.sink.count('decoder.http.pending_capped');
      this.flushAll();
    }
    const tx = new Tx(ts, ++this.depth);
    const mi = methodIndex(b, s, sp1);
    tx.methodIdx = mi;
    if (mi >= 0) tx.method = methodName(mi);
    else {
      tx.method = safeString(b, s, sp1 - s, 32);
      this.sink.weird('http_unknown_method', ts, this.conn, tx.method);
    }
    const u = this.uriOut;
    unescapeUri(b, us, ue, MAX_STRING, u);
    tx.uri = u.text;
    if (u.truncated) this.sink.count('decoder.http.uri_truncated');
    if (u.badEscape) this.sink.weird('http_uri_bad_escape', ts, this.conn);
    tx.reqVersion = version;
    this.pending.push(tx);
    const h = this.req;
    h.tx = tx;
    h.resetMessage();
    if (version === '0.9') {
      // HTTP/0.9 has no headers and no request body.
      this.messageDone(h, true);
      return;
    }
    h.state = St.HEADERS;
  }

  private statusLine(b: Buffer, s: number, e: number, ts: number): void {
    // HTTP-version SP 3DIGIT SP [reason]
    let sp = s;
    while (sp < e && b[sp] !== 0x20) sp++;
    const version = parseVersion(b, s, sp);
    let c = sp;
    while (c < e && b[c] === 0x20) c++;
    const code = c + 3 <= e && (c + 3 === e || b[c + 3] === 0x20) ? parseDecimal(b, c, c + 3) : -1;
    if (version === '' || code < 100) {
      const front = this.frontUnanswered();
      if (front !== null && front.reqVersion === '0.9') {
        // An HTTP/0.9 reply is bare body up to the close.
        front.respBody += e - s + 1;
        this.resp.tx = front;
        this.resp.state = St.BODY_EOF;
        return;
      }
      this.badStart('http_bad_status_line', ts);
      return;
    }
    this.confirmed = true;
    let r = c + 3;
    while (r < e && b[r] === 0x20) r++;

    let tx = this.frontUnanswered();
    if (tx === null) {
      this.sink.weird('http_unmatched_reply', ts, this.conn);
      tx = new Tx(ts, ++this.depth);
      tx.reqDone = true;
      if (this.pending.length >= MAX_PENDING) {
        this.sink.count('decoder.http.pending_capped');
        this.flushAll();
      }
      this.pending.push(tx);
    }
    tx.status = code;
    tx.statusMsg = safeString(b, r, e - r);
    tx.respVersion = version;
    if (code < 200) {
      tx.infoCode = code;
      tx.infoMsg = tx.statusMsg;
    }
    const h = this.resp;
    h.tx = tx;
    h.resetMessage();
    h.state = St.HEADERS;
  }

  private frontUnanswered(): Tx | null {
    const q = this.pending;
    for (let i = 0; i < q.length; i++) if (!q[i].respDone) return q[i];
    return null;
  }

  private badStart(name: string, ts: number): void {
    this.sink.weird(name, ts, this.conn);
    this.giveUp();
  }

  // ---- headers ----

  private headerLine(h: Half, isOrig: boolean, b: Buffer, s: number, e: number): void {
    h.headerBytes += e - s + 2;
    h.headers++;
    if (!h.capped && (h.headers > MAX_HEADERS || h.headerBytes > MAX_HEADER_BLOCK)) {
      h.capped = true;
      this.sink.count(h.headers > MAX_HEADERS ? 'decoder.http.headers_capped' : 'decoder.http.header_block_capped');
    }
    if (h.headerBytes > HARD_HEADER_BLOCK) {
      this.sink.weird('http_header_block_too_long', this.lastTs, this.conn);
      this.giveUp();
      return;
    }
    const c0 = b[s];
    if (c0 === 0x20 || c0 === 0x09) return; // obsolete line folding: continuation of a value we skip
    let colon = s;
    while (colon < e && b[colon] !== 0x3a) colon++;
    if (colon === e) {
      this.sink.weird('http_bad_header_line', this.lastTs, this.conn);
      return;
    }
    let ne = colon;
    while (ne > s && (b[ne - 1] === 0x20 || b[ne - 1] === 0x09)) ne--;
    let vs = colon + 1;
    while (vs < e && (b[vs] === 0x20 || b[vs] === 0x09)) vs++;
    let ve = e;
    while (ve > vs && (b[ve - 1] === 0x20 || b[ve - 1] === 0x09)) ve--;
    const n = ne - s;

    // Framing headers are honoured even past the caps, or the body would desynchronise us.
    if (n === 14 && nameIs(b, s, ne, H_CONTENT_LENGTH)) {
      const v = parseDecimal(b, vs, ve);
      if (v < 0) this.sink.weird('http_bad_content_length', this.lastTs, this.conn);
      else if (h.contentLength >= 0 && h.contentLength !== v) {
        this.sink.weird('http_conflicting_content_length', this.lastTs, this.conn);
      } else h.contentLength = v;
      return;
    }
    if (n === 17 && nameIs(b, s, ne, H_TRANSFER_ENCODING)) {
      h.teSeen = true;
      h.chunked = endsWithChunked(b, vs, ve);
      return;
    }
    if (h.capped) return;
    const tx = h.tx;
    if (tx === null) return;
    if (isOrig) {
      switch (n) {
        case 4:
          if (nameIs(b, s, ne, H_HOST)) tx.host = safeString(b, vs, ve - vs);
          return;
        case 6:
          if (nameIs(b, s, ne, H_ORIGIN)) tx.origin = safeString(b, vs, ve - vs);
          return;
        case 7:
          if (nameIs(b, s, ne, H_REFERER)) tx.referrer = safeString(b, vs, ve - vs);
          return;
        case 10:
          if (nameIs(b, s, ne, H_USER_AGENT)) tx.userAgent = safeString(b, vs, ve - vs, MAX_USER_AGENT);
          return;
        case 13:
          if (nameIs(b, s, ne, H_AUTHORIZATION)) this.auth(tx, b, vs, ve);
          return;
        case 19:
          if (nameIs(b, s, ne, H_PROXY_AUTHORIZATION)) this.auth(tx, b, vs, ve);
          return;
        default:
          return;
      }
    }
    if (n === 12 && nameIs(b, s, ne, H_CONTENT_TYPE)) {
      // The media type alone, lower-cased: parameters (charset, boundary) are not a type.
      let me = vs;
      while (me < ve && b[me] !== 0x3b && b[me] !== 0x20 && b[me] !== 0x09) me++;
      tx.contentType = safeString(b, vs, me - vs).toLowerCase();
    }
  }

  private auth(tx: Tx, b: Buffer, vs: number, ve: number): void {
    const user = basicAuthUser(b, vs, ve, MAX_STRING);
    if (user === null) this.sink.weird('http_basic_auth_malformed', this.lastTs, this.conn);
    else if (user !== '') tx.username = user;
  }

  private endOfHeaders(h: Half, isOrig: boolean): void {
    const tx = h.tx;
    if (h.teSeen && h.contentLength >= 0) {
      // Both framings at once is how request smuggling starts (RFC 9112 §6.3): note it.
      this.sink.weird('http_te_and_cl', this.lastTs, this.conn);
    }
    if (isOrig) {
      if (h.chunked) { h.state = St.CHUNK_SIZE; return; }
      if (h.teSeen) this.sink.weird('http_bad_transfer_encoding', this.lastTs, this.conn);
      if (h.contentLength > 0) { h.remaining = h.contentLength; h.state = St.BODY_LEN; return; }
      this.messageDone(h, true);
      return;
    }
    if (tx === null) { this.messageDone(h, false); return; }
    const code = tx.status;
    if (code === 101 || (tx.methodIdx === M_CONNECT && code >= 200 && code < 300)) {
      // Upgrade (WebSocket, h2c) or a CONNECT tunnel: what follows is not HTTP/1.
      tx.respDone = true;
      this.flushAll();
      this.done = true;
      return;
    }
    if (code < 200) {
      // Interim reply: the final one for the same request follows.
      h.tx = null;
      h.state = St.START;
      h.resetMessage();
      return;
    }
    if (tx.methodIdx === M_HEAD || code === 204 || code === 304) { this.messageDone(h, false); return; }
    if (h.chunked) { h.state = St.CHUNK_SIZE; return; }
    if (h.contentLength >= 0 && !h.teSeen) {
      if (h.contentLength === 0) { this.messageDone(h, false); return; }
      h.remaining = h.contentLength;
      h.state = St.BODY_LEN;
      return;
    }
    h.state = St.BODY_EOF;
  }

  private addBody(h: Half, isOrig: boolean, n: number): void {
    const tx = h.tx;
    if (tx === null) return;
    if (isOrig) tx.reqBody += n;
    else tx.respBody += n;
  }

  private messageDone(h: Half, isOrig: boolean): void {
    const tx = h.tx;
    h.tx = null;
    h.state = St.START;
    h.resetMessage();
    if (tx === null) return;
    if (isOrig) tx.reqDone = true;
    else tx.respDone = true;
    if (tx.reqDone && tx.respDone) {
      const i = this.pending.indexOf(tx);
      if (i >= 0) this.pending.splice(i, 1);
      this.emit(tx);
    }
  }

  // ---- output ----

  private giveUp(): void {
    this.flushAll();
    this.req.state = St.DEAD;
    this.resp.state = St.DEAD;
    this.done = true;
  }

  private flushAll(): void {
    const q = this.pending;
    for (let i = 0; i < q.length; i++) this.emit(q[i]);
    q.length = 0;
    this.req.tx = null;
    this.resp.tx = null;
  }

  private emit(tx: Tx): void {
    const f: LogFields = { trans_depth: tx.depth };
    if (tx.method !== '') f.method = tx.method;
    if (tx.host !== '') f.host = tx.host;
    if (tx.method !== '') f.uri = tx.uri;
    if (tx.referrer !== '') f.referrer = tx.referrer;
    const version = tx.respVersion !== '' ? tx.respVersion : tx.reqVersion;
    if (version !== '') f.version = version;
    if (tx.userAgent !== '') f.user_agent = tx.userAgent;
    if (tx.origin !== '') f.origin = tx.origin;
    f.request_body_len = tx.reqBody;
    f.response_body_len = tx.respBody;
    if (tx.status >= 0) {
      f.status_code = tx.status;
      f.status_msg = tx.statusMsg;
    }
    if (tx.infoCode >= 0) {
      f.info_code = tx.infoCode;
      f.info_msg = tx.infoMsg;
    }
    if (tx.username !== '') f.username = tx.username;
    if (tx.contentType !== '') f.content_type = tx.contentType;
    this.sink.log('http', tx.ts, this.conn, f);
  }
}

export function createHttpFactory(): AppAnalyzerFactory {
  return {
    service: 'http',
    tcp: true,
    udp: false,
    ports: HTTP_PORTS,
    sniff(isOrig: boolean, buf: Buffer, off: number, len: number): boolean {
      return isOrig && looksLikeRequest(buf, off, len);
    },
    create(conn: ConnInfo, sink: AppSink): AppAnalyzer {
      return new HttpAnalyzer(conn, sink);
    },
  };
}
