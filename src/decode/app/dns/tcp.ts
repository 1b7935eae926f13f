/**
 * DNS over TCP framing (RFC 1035 §4.2.2): each message is preceded by a 2-byte length. Stream
 * bytes arrive in order but split anywhere, so a message may span deliveries and one delivery may
 * hold several. A message that arrives whole is parsed in place; otherwise at most
 * `MAX_TCP_BUFFER` bytes of it are copied (AXFR and large DNSSEC answers are longer: we parse
 * their head and skip the rest, keeping per-flow memory bounded).
 */

export const MAX_TCP_BUFFER = 4096;

/** Receives framed messages; `partial` when only the first MAX_TCP_BUFFER bytes were kept. */
export interface DnsFrameSink {
  message(buf: Buffer, off: number, len: number, partial: boolean): void;
  count(name: string): void;
}

export class DnsTcpFramer {
  /** Length prefix bytes collected so far (0-2) and their value. */
  private hdrBytes = 0;
  private msgLen = 0;
  /** True while inside a message body (msgLen known). */
  private inBody = false;
  private buf: Buffer | null = null;
  private fill = 0;
  /** Bytes still to drop: the tail of an over-long message, or what a gap cut short. */
  private skip = 0;
  /** Lost the message boundaries: nothing more can be framed. */
  lost = false;

  constructor(private readonly sink: DnsFrameSink) {}

  feed(data: Buffer, off: number, len: number): void {
    let p = off;
    let end = off + len;
    if (end > data.length) end = data.length;
    while (p < end && !this.lost) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - p);
        this.skip -= n;
        p += n;
        continue;
      }
      if (!this.inBody) {
        this.msgLen = (this.msgLen << 8) | data[p++];
        if (++this.hdrBytes === 2) {
          this.hdrBytes = 0;
          this.fill = 0;
          if (this.msgLen === 0) this.sink.count('decoder.dns.tcp_empty_message');
          else this.inBody = true;
        }
        continue;
      }
      const avail = end - p;
      if (this.fill === 0 && avail >= this.msgLen) {
        this.sink.message(data, p, this.msgLen, false);
        p += this.msgLen;
        this.endMessage();
        continue;
      }
      const keep = Math.min(this.msgLen, MAX_TCP_BUFFER);
      const n = Math.min(keep - this.fill, avail);
      if (this.buf === null) this.buf = Buffer.allocUnsafe(MAX_TCP_BUFFER);
      data.copy(this.buf, this.fill, p, p + n);
      this.fill += n;
      p += n;
      if (this.fill === keep) {
        const partial = keep < this.msgLen;
        if (partial) {
          this.sink.count('decoder.dns.tcp_message_capped');
          this.skip = this.msgLen - keep;
        }
        this.sink.message(this.buf, 0, keep, partial);
        this.endMessage();
      }
    }
  }

  /**
   * `len` bytes are missing. Inside a message we know where it ends, so we drop the message and
   * stay in step; a hole that covers a length prefix leaves us nowhere to resume.
   */
  gap(len: number): void {
    if (this.lost) return;
    if (this.skip > 0 && len <= this.skip) {
      this.skip -= len;
      return;
    }
    if (this.inBody) {
      const rest = this.msgLen - this.fill;
      if (len <= rest) {
        this.sink.count('decoder.dns.tcp_gap_message_dropped');
        this.endMessage();
        this.skip = rest - len;
        return;
      }
    }
    this.sink.count('decoder.dns.tcp_gap_lost_sync');
    this.lost = true;
  }

  private endMessage(): void {
    this.inBody = false;
    this.msgLen = 0;
    this.fill = 0;
    this.hdrBytes = 0;
  }
}
