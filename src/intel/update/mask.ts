/**
 * Secrets never reach a log line, an error, a state file or the terminal (house rule 10): every
 * string the updater lets out goes through `maskSecrets`.
 */

/** The query parameters that carry keys in feed URLs (URLhaus exports take `auth-key=`). */
const KEY_PARAMS = /([?&](?:auth-key|auth_key|authkey|api-key|api_key|apikey|key|token)=)[^&#\s]*/gi;
/** user:password@ in a URL. */
const USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi;

/**
 * Replaces every occurrence of each secret (and key-looking query values and URL credentials)
 * with `***`. Secrets shorter than 4 characters are ignored: masking "a" would shred the text and
 * no real key is that short.
 */
export function maskSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 4) out = out.split(s).join('***');
    // Keys also travel URL-encoded in query strings.
    const enc = encodeURIComponent(s);
    if (enc !== s && enc.length >= 4) out = out.split(enc).join('***');
  }
  return out.replace(KEY_PARAMS, '$1***').replace(USERINFO, '$1***@');
}
