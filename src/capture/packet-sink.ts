/** Where framed records go: one call per captured packet, a view into the reader's window. */
export interface PacketSink {
  /**
   * @param linktype  LINKTYPE_* of the interface the packet came from
   * @param buf       window holding the packet; valid only during this call
   * @param off       first byte of the packet in `buf`
   * @param caplen    bytes captured
   * @param wirelen   bytes on the wire (>= caplen when the snap length cut the packet)
   * @param ts        packet time, epoch seconds
   */
  packet(linktype: number, buf: Buffer, off: number, caplen: number, wirelen: number, ts: number): void;
}
