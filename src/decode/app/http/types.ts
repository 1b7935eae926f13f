/**
 * http.log record (Zeek `HTTP::Info`, formats.md §1.5): one per request/response pair. Fields we do
 * not fill (tags, proxied, file ids, sniffed MIME types) are left out rather than faked; `password`
 * is never logged. `content_type` is our extra: the response's declared media type, which is what
 * Zeek's `resp_mime_types` approximates without libmagic.
 */
export interface HttpRecord {
  /** 1-based position of the request in the connection (pipelining). */
  trans_depth: number;
  method?: string;
  /** Host header as sent, port included (Zeek #1844). */
  host?: string;
  /** Percent-decoded like Zeek's `unescaped_URI`. */
  uri?: string;
  referrer?: string;
  /** Version of the reply, as Zeek logs it; the request's when no reply was seen. */
  version?: string;
  user_agent?: string;
  origin?: string;
  /** Body bytes after removing chunked framing (before any content decoding). */
  request_body_len: number;
  response_body_len: number;
  status_code?: number;
  status_msg?: string;
  /** Last informational (1xx) reply before the final one, e.g. 100 Continue. */
  info_code?: number;
  info_msg?: string;
  /** From `Authorization: Basic`; the password is never kept. */
  username?: string;
  content_type?: string;
}
