/**
 * FTP line grammar (RFC 959, RFC 2428 for EPRT/EPSV) and the helpers Zeek's ftp scripts apply to
 * arguments: data-channel addresses, working-directory tracking, file URLs. Byte-level parsing of
 * lines works on views; the string helpers run once per command, on strings already capped.
 */

/** Reply line shapes: `NNN text`, `NNN-text` (start of a multi-line reply). */
export const REPLY_FINAL = 1;
export const REPLY_MULTI = 2;

/**
 * Reply code of a line as `code << 2 | kind` (kind REPLY_FINAL or REPLY_MULTI), or -1 when the
 * line does not start with a code 100..599 followed by space, dash or end of line.
 */
export function replyCode(b: Uint8Array, off: number, len: number): number {
  if (len < 3) return -1;
  const c0 = b[off] - 48;
  const c1 = b[off + 1] - 48;
  const c2 = b[off + 2] - 48;
  if (c0 < 1 || c0 > 5 || c1 < 0 || c1 > 9 || c2 < 0 || c2 > 9) return -1;
  const code = c0 * 100 + c1 * 10 + c2;
  if (len === 3 || b[off + 3] === 0x20) return (code << 2) | REPLY_FINAL;
  if (b[off + 3] === 0x2d) return (code << 2) | REPLY_MULTI;
  return -1;
}

/** Length of the command verb at `off` (ASCII letters, 1..16), or -1 when the line is no command. */
export function commandLength(b: Uint8Array, off: number, len: number): number {
  let n = 0;
  while (n < len) {
    const c = b[off + n] | 0x20;
    if (c < 0x61 || c > 0x7a) break;
    n++;
  }
  if (n === 0 || n > 16) return -1;
  if (n < len && b[off + n] !== 0x20) return -1;
  return n;
}

export interface HostPort { host: string; port: number }

/** `h1,h2,h3,h4,p1,p2` anywhere in `s` (PORT argument, 227 reply text). */
export function parseHostPort6(s: string): HostPort | null {
  const n: number[] = [];
  let cur = -1;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : -1;
    if (c >= 48 && c <= 57) {
      cur = cur < 0 ? c - 48 : cur * 10 + c - 48;
      if (cur > 255) { n.length = 0; cur = -1; continue; }
      continue;
    }
    if (cur >= 0) {
      n.push(cur);
      cur = -1;
      if (n.length === 6) break;
      if (c === 44) continue; // ','
    }
    n.length = 0;
  }
  if (n.length !== 6) return null;
  return { host: n[0] + '.' + n[1] + '.' + n[2] + '.' + n[3], port: n[4] * 256 + n[5] };
}

/** RFC 2428 EPSV reply: `(<d><d><d>port<d>)`; the host is the server's own address. */
export function parseEpsv(s: string): number {
  const open = s.indexOf('(');
  if (open < 0 || open + 5 > s.length) return -1;
  const d = s[open + 1];
  if (s[open + 2] !== d || s[open + 3] !== d) return -1;
  const close = s.indexOf(d, open + 4);
  if (close < 0) return -1;
  const port = Number(s.slice(open + 4, close));
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : -1;
}

/** RFC 2428 EPRT argument: `<d>proto<d>addr<d>port<d>`. */
export function parseEprt(s: string): HostPort | null {
  if (s.length < 7) return null;
  const d = s[0];
  const parts = s.split(d);
  // ['', proto, addr, port, ''] for a well-formed argument.
  if (parts.length < 5 || parts[0] !== '') return null;
  const proto = parts[1];
  const host = parts[2];
  const port = Number(parts[3]);
  if ((proto !== '1' && proto !== '2') || host === '' || host.length > 45) return null;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return null;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    const ok = (c >= 48 && c <= 58) || c === 46 || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
    if (!ok) return null;
  }
  return { host, port };
}

/**
 * Zeek's build_path_compressed(): `arg` relative to `cwd`, `.`/`..`/`//` folded. Keeps Zeek's
 * quirk that a leading `./` (the default cwd is `.`) survives, giving URLs like `ftp://h/./file`.
 */
export function buildPath(cwd: string, arg: string): string {
  const path = arg.charCodeAt(0) === 0x2f ? arg : cwd + '/' + arg;
  const abs = path.charCodeAt(0) === 0x2f;
  const segs = path.split('/');
  const out: string[] = [];
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    if (s === '') continue;
    if (s === '.') {
      if (i === 0) out.push(s);
      continue;
    }
    if (s === '..' && out.length > 0 && out[out.length - 1] !== '..' && out[out.length - 1] !== '.') {
      out.pop();
      continue;
    }
    out.push(s);
  }
  const joined = out.join('/');
  if (abs) return '/' + joined;
  return joined === '' ? '.' : joined;
}

/** Zeek's build_url_ftp(): `ftp://<resp_h><path>`, IPv6 hosts in brackets. */
export function ftpUrl(respH: string, cwd: string, arg: string): string {
  let p = buildPath(cwd, arg);
  if (p.charCodeAt(0) !== 0x2f) p = '/' + p;
  const host = respH.indexOf(':') >= 0 ? '[' + respH + ']' : respH;
  return 'ftp://' + host + p;
}

/** Directory named in a 257 reply: `257 "/home/ftp" is current directory`. */
export function extractQuotedPath(msg: string): string {
  const a = msg.indexOf('"');
  if (a < 0) return '';
  const b = msg.indexOf('"', a + 1);
  return b < 0 ? '' : msg.slice(a + 1, b);
}

/** Size in a 150 (`… (1234 bytes)`) or 213 (`213 1234`) reply, or -1. */
export function extractSize(msg: string): number {
  const i = msg.indexOf(' bytes');
  let end: number;
  if (i > 0) {
    end = i;
  } else {
    end = 0;
    while (end < msg.length && msg.charCodeAt(end) >= 48 && msg.charCodeAt(end) <= 57) end++;
    if (end === 0) return -1;
    const n = Number(msg.slice(0, end));
    return Number.isSafeInteger(n) ? n : -1;
  }
  let start = end;
  while (start > 0 && msg.charCodeAt(start - 1) >= 48 && msg.charCodeAt(start - 1) <= 57) start--;
  if (start === end) return -1;
  const n = Number(msg.slice(start, end));
  return Number.isSafeInteger(n) ? n : -1;
}
