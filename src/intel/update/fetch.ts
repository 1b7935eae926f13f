/**
 * The updater's HTTP side: one conditional GET with a timeout, a body size cap and careful
 * redirects, turned into an outcome the caller can act on. Never throws.
 *
 * - Conditional: `If-None-Match` / `If-Modified-Since` from the last good copy; 304 = unchanged.
 * - Timeout: one AbortSignal for the whole exchange, body included (a server that trickles bytes
 *   forever is cut off too).
 * - Size cap: the body is read chunk by chunk and the stream cancelled as soon as the total passes
 *   the cap, so at most cap + one chunk is ever held (a hostile or broken server cannot fill RAM).
 * - Redirects are followed by hand (at most 5) so that sensitive headers (the abuse.ch Auth-Key)
 *   are only sent to the hosts allowed to see them, never to wherever a redirect points.
 */

export interface FetchRequest {
  readonly url: string;
  readonly etag?: string | null;
  readonly lastModified?: string | null;
  /** Extra headers for every hop (User-Agent …). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Headers only sent while `sensitiveAllowed(url)` holds (Auth-Key). */
  readonly sensitiveHeaders?: Readonly<Record<string, string>>;
  readonly sensitiveAllowed?: (url: URL) => boolean;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly fetch?: typeof fetch;
  readonly maxRedirects?: number;
}

export type FetchErrorKind =
  | 'http'       // a non-2xx status other than 304/401/403
  | 'auth'       // 401 / 403: key missing or invalid (or access refused)
  | 'timeout'
  | 'network'    // refused, reset, DNS failure, TLS …
  | 'too-large'  // the body passed the cap: cut off
  | 'redirect';  // too many redirects or a redirect to a non-http(s) place

export type FetchOutcome =
  | {
      readonly kind: 'ok';
      readonly body: Buffer;
      readonly etag: string | null;
      readonly lastModified: string | null;
      readonly status: number;
      /** The URL that finally answered (after redirects). */
      readonly url: string;
    }
  | { readonly kind: 'not-modified'; readonly etag: string | null; readonly lastModified: string | null }
  | {
      readonly kind: 'error';
      readonly error: FetchErrorKind;
      readonly status: number;
      readonly message: string;
      /** Body bytes received before giving up (for a cut-off body: at most cap + one chunk). */
      readonly bytesRead: number;
    };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function fetchFeed(req: FetchRequest): Promise<FetchOutcome> {
  const first = await fetchOnce(req);
  // A pooled keep-alive connection the server had already closed fails at once with "closed" or
  // "reset": that says nothing about the feed, so try once more on a fresh connection.
  if (first.kind === 'error' && first.error === 'network' && first.bytesRead === 0 && STALE_SOCKET.test(first.message)) {
    return fetchOnce(req);
  }
  return first;
}

const STALE_SOCKET = /^(connection closed by the server|connection reset)$/;

async function fetchOnce(req: FetchRequest): Promise<FetchOutcome> {
  const doFetch = req.fetch ?? fetch;
  const signal = AbortSignal.timeout(req.timeoutMs);
  const maxRedirects = req.maxRedirects ?? 5;
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return fail('network', 0, 'not a valid URL');
  }
  try {
    for (let hop = 0; ; hop++) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        return fail('redirect', 0, `refused to follow a redirect to a ${url.protocol} URL`);
      }
      const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br', ...req.headers };
      if (req.sensitiveHeaders && (req.sensitiveAllowed?.(url) ?? false)) Object.assign(headers, req.sensitiveHeaders);
      // Validators belong to the copy we hold of the first URL; a redirect target still honours them.
      if (req.etag) headers['if-none-match'] = req.etag;
      if (req.lastModified) headers['if-modified-since'] = req.lastModified;
      const res = await doFetch(url, { headers, redirect: 'manual', signal });
      if (REDIRECTS.has(res.status)) {
        const loc = res.headers.get('location');
        await discard(res);
        if (!loc) return fail('http', res.status, `HTTP ${res.status} without a Location`);
        if (hop >= maxRedirects) return fail('redirect', res.status, `more than ${maxRedirects} redirects`);
        url = new URL(loc, url);
        continue;
      }
      if (res.status === 304) {
        await discard(res);
        return { kind: 'not-modified', etag: res.headers.get('etag') ?? req.etag ?? null, lastModified: res.headers.get('last-modified') ?? req.lastModified ?? null };
      }
      if (res.status === 401 || res.status === 403) {
        await discard(res);
        return fail('auth', res.status, `HTTP ${res.status}: access refused`);
      }
      if (res.status < 200 || res.status > 299) {
        await discard(res);
        return fail('http', res.status, `HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`);
      }
      const declared = Number(res.headers.get('content-length'));
      if (Number.isFinite(declared) && declared > req.maxBytes && res.headers.get('content-encoding') === null) {
        // Known too big before reading a byte: don't download it at all.
        await discard(res);
        return fail('too-large', res.status, `the feed is ${declared} bytes, over the ${req.maxBytes}-byte cap`);
      }
      const body = await readCapped(res, req.maxBytes);
      if (body.over) {
        return fail('too-large', res.status, `the body passed the ${req.maxBytes}-byte cap and was cut off`, body.bytes);
      }
      return {
        kind: 'ok',
        body: body.data,
        etag: res.headers.get('etag'),
        lastModified: res.headers.get('last-modified'),
        status: res.status,
        url: url.toString(),
      };
    }
  } catch (e) {
    return fromException(e, req.timeoutMs);
  }
}

function fail(error: FetchErrorKind, status: number, message: string, bytesRead = 0): FetchOutcome {
  return { kind: 'error', error, status, message, bytesRead };
}

async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // A body that cannot be cancelled is already gone.
  }
}

/** Reads the body until its end or until it passes `max` bytes (then cancels the stream). */
async function readCapped(res: Response, max: number): Promise<{ data: Buffer; bytes: number; over: boolean }> {
  if (!res.body) return { data: Buffer.alloc(0), bytes: 0, over: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > max) {
      // Stop reading now: the rest is never pulled off the socket.
      chunks.length = 0;
      await reader.cancel().catch(() => {});
      return { data: Buffer.alloc(0), bytes, over: true };
    }
    chunks.push(value);
  }
  return { data: Buffer.concat(chunks, bytes), bytes, over: false };
}

/** A thrown fetch error as a plain outcome: timeout, refused, DNS … in one short phrase. */
function fromException(e: unknown, timeoutMs: number): FetchOutcome {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string; name?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || err.cause?.name === 'TimeoutError') {
    return fail('timeout', 0, `no complete answer within ${Math.round(timeoutMs / 1000)} s`);
  }
  const code = err.cause?.code ?? '';
  const phrase: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host name not found (offline or no DNS?)',
    EAI_AGAIN: 'host name lookup failed (offline or no DNS?)',
    ENETUNREACH: 'network unreachable (offline?)',
    EHOSTUNREACH: 'host unreachable',
    ETIMEDOUT: 'connection timed out',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
    UND_ERR_SOCKET: 'connection closed by the server',
  };
  const text = phrase[code] ?? (err.cause?.message || err.message || String(e));
  return fail('network', 0, code && !phrase[code] ? `${text} (${code})` : text);
}
