/** ssdp.log record (Vigil's own log): one row per SSDP datagram. */
export type SsdpLogRecord = {
  /** `NOTIFY`, `M-SEARCH` or `RESPONSE` (an `HTTP/1.x` status line answering an M-SEARCH). */
  method: 'NOTIFY' | 'M-SEARCH' | 'RESPONSE';
  /** SERVER header: OS, UPnP version and product, e.g. `Linux/3.14 UPnP/1.0 IpBridge/1.26.0`. */
  server?: string;
  /** Unique service name, e.g. `uuid:…::upnp:rootdevice`. */
  usn?: string;
  /** URL of the device description XML. */
  location?: string;
  /** Notification type (NOTIFY). */
  nt?: string;
  /** Notification sub-type: `ssdp:alive`, `ssdp:byebye`, `ssdp:update`. */
  nts?: string;
  /** Search target (M-SEARCH and responses). */
  st?: string;
  user_agent?: string;
};
