/**
 * Byte-level matchers for the telnet login dialogue: prompts at the end of the server's current
 * line, and failure/success phrases anywhere in a line. Case-insensitive, no strings built.
 */

function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

export const LOGIN_PROMPTS: readonly Uint8Array[] = ['login:', 'username:', 'user name:', 'user:'].map(bytes);
export const PASSWORD_PROMPTS: readonly Uint8Array[] = ['password:', 'passwd:'].map(bytes);
export const FAILURE_PHRASES: readonly Uint8Array[] = [
  'incorrect', 'failed', 'failure', 'denied', 'invalid', 'bad password', 'wrong',
].map(bytes);
export const SUCCESS_PHRASES: readonly Uint8Array[] = ['last login', 'welcome', 'busybox'].map(bytes);

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** Index just past the last character that is not a space, tab or NUL. */
function trimmedEnd(b: Uint8Array, len: number): number {
  let e = len;
  while (e > 0 && (b[e - 1] === 0x20 || b[e - 1] === 0x09 || b[e - 1] === 0)) e--;
  return e;
}

/** True when the line (trailing blanks ignored) ends with one of the patterns. */
export function endsWithAny(b: Uint8Array, len: number, pats: readonly Uint8Array[]): boolean {
  const e = trimmedEnd(b, len);
  for (const p of pats) {
    if (p.length > e) continue;
    let ok = true;
    for (let i = 0; i < p.length; i++) {
      if (lower(b[e - p.length + i]) !== p[i]) { ok = false; break; }
    }
    if (ok) return true;
  }
  return false;
}

export function containsAny(b: Uint8Array, len: number, pats: readonly Uint8Array[]): boolean {
  for (const p of pats) {
    const last = len - p.length;
    for (let s = 0; s <= last; s++) {
      let i = 0;
      while (i < p.length && lower(b[s + i]) === p[i]) i++;
      if (i === p.length) return true;
    }
  }
  return false;
}

/** A shell waiting for input: the line ends with `$`, `#` or `>` (after trailing blanks). */
export function endsWithShellPrompt(b: Uint8Array, len: number): boolean {
  const e = trimmedEnd(b, len);
  if (e === 0) return false;
  const c = b[e - 1];
  return c === 0x24 || c === 0x23 || c === 0x3e;
}
