/**
 * Cross-flow DHCP transaction table: dhcp.log has one row per transaction, and one transaction's
 * messages travel over several UDP "flows" (0.0.0.0:68 → broadcast, server → offered address,
 * server → broadcast …). Messages are joined on transaction id + client hardware address.
 *
 * Expiry follows Zeek's base/protocols/dhcp/main.zeek (`join_data`, `&create_expire=10secs`,
 * re-checked every 5 s): a row is written once it is at least `minAgeSecs` old and quiet for more
 * than `lingerSecs`, or once older than `maxWatchSecs`. This is why an ACK followed a second later
 * by a DECLINE is still one row. We evaluate the rule continuously in packet time (on `tick` and
 * when a message for the same key arrives), so the result does not depend on how often ticks come.
 */
import type { AppSink, ConnInfo } from '../analyzer.js';
import { hex, safeString } from '../../../util/text.js';
import type { DhcpLogRecord, DhcpOptions } from './types.js';
import {
  OP_REQUEST, OptView, hwAddr, ip4, ip4List, msgTypeName, relaySubOption, wireName,
} from './parser.js';
import type { DhcpMessage } from './parser.js';

export const DHCP_DEFAULTS: Required<DhcpOptions> = {
  maxTransactions: 1024,
  lingerSecs: 5,
  minAgeSecs: 10,
  maxWatchSecs: 30,
  maxUids: 10,
  maxMsgTypes: 50,
};

/** Addresses per list option kept in a record (a 255-byte option holds at most 63). */
const MAX_LIST = 16;

class Transaction {
  readonly ts: number;
  last: number;
  readonly sink: AppSink;
  readonly uids: string[] = [];
  readonly msgTypes: string[] = [];
  readonly msgOrig: string[] = [];
  clientAddr: string | undefined = undefined;
  serverAddr: string | undefined = undefined;
  mac: string | undefined = undefined;
  /** chaddr of a client message without an Ethernet client id; used for `mac` as a last resort. */
  clientChaddr: string | undefined = undefined;
  hostName: string | undefined = undefined;
  clientFqdn: string | undefined = undefined;
  clientFqdnFlags = -1;
  domain: string | undefined = undefined;
  requestedAddr: string | undefined = undefined;
  assignedAddr: string | undefined = undefined;
  leaseTime = -1;
  clientMessage: string | undefined = undefined;
  serverMessage: string | undefined = undefined;
  clientSoftware: string | undefined = undefined;
  serverSoftware: string | undefined = undefined;
  circuitId: string | undefined = undefined;
  agentRemoteId: string | undefined = undefined;
  subscriberId: string | undefined = undefined;
  paramList: number[] | undefined = undefined;
  clientId: string | undefined = undefined;
  mudUrl: string | undefined = undefined;
  serverId: string | undefined = undefined;
  subnetMask: string | undefined = undefined;
  routers: string[] | undefined = undefined;
  dnsServers: string[] | undefined = undefined;

  constructor(ts: number, sink: AppSink) {
    this.ts = ts;
    this.last = ts;
    this.sink = sink;
  }

  record(): DhcpLogRecord {
    // Filled in Zeek's column order: JSON key order is the #fields order.
    const out = { uids: this.uids } as DhcpLogRecord;
    if (this.clientAddr !== undefined) out.client_addr = this.clientAddr;
    if (this.serverAddr !== undefined) out.server_addr = this.serverAddr;
    const mac = this.mac ?? this.clientChaddr;
    if (mac !== undefined) out.mac = mac;
    if (this.hostName !== undefined) out.host_name = this.hostName;
    if (this.clientFqdn !== undefined) out.client_fqdn = this.clientFqdn;
    if (this.domain !== undefined) out.domain = this.domain;
    if (this.requestedAddr !== undefined) out.requested_addr = this.requestedAddr;
    if (this.assignedAddr !== undefined) out.assigned_addr = this.assignedAddr;
    if (this.leaseTime >= 0) out.lease_time = this.leaseTime;
    if (this.clientMessage !== undefined) out.client_message = this.clientMessage;
    if (this.serverMessage !== undefined) out.server_message = this.serverMessage;
    out.msg_types = this.msgTypes;
    out.duration = this.last - this.ts;
    if (this.clientSoftware !== undefined) out.client_software = this.clientSoftware;
    if (this.serverSoftware !== undefined) out.server_software = this.serverSoftware;
    out.msg_orig = this.msgOrig;
    if (this.circuitId !== undefined) out.circuit_id = this.circuitId;
    if (this.agentRemoteId !== undefined) out.agent_remote_id = this.agentRemoteId;
    if (this.subscriberId !== undefined) out.subscriber_id = this.subscriberId;
    if (this.clientFqdnFlags >= 0) out.client_fqdn_flags = this.clientFqdnFlags;
    if (this.paramList !== undefined) out.param_list = this.paramList;
    if (this.clientId !== undefined) out.client_id = this.clientId;
    if (this.mudUrl !== undefined) out.mud_url = this.mudUrl;
    if (this.serverId !== undefined) out.server_id = this.serverId;
    if (this.subnetMask !== undefined) out.subnet_mask = this.subnetMask;
    if (this.routers !== undefined) out.routers = this.routers;
    if (this.dnsServers !== undefined) out.dns_servers = this.dnsServers;
    return out;
  }
}

/** Escaped string of an option value, or undefined when absent or empty. */
function str(buf: Uint8Array, v: OptView): string | undefined {
  if (!v.present || v.len === 0) return undefined;
  return safeString(buf, v.off, v.len);
}

export class DhcpTransactions {
  private readonly map = new Map<string, Transaction>();
  private readonly cfg: Required<DhcpOptions>;
  /** Scratch view for relay sub-options. */
  private readonly sub = new OptView();

  constructor(opts: DhcpOptions = {}) {
    this.cfg = { ...DHCP_DEFAULTS, ...opts };
    if (!(this.cfg.maxTransactions >= 1)) this.cfg.maxTransactions = 1;
  }

  get size(): number { return this.map.size; }

  /**
   * Adds one parsed message. `src` is the datagram's source address (the client or the server),
   * `conn` the flow that carried it. Must be called while `buf` still holds the message.
   */
  add(m: DhcpMessage, buf: Uint8Array, src: string, conn: ConnInfo, sink: AppSink, ts: number): void {
    const hlen = m.hlen > 16 ? 16 : m.hlen;
    const key = m.xid.toString(16) + '/' + hex(buf, m.chaddrOff, hlen);
    let tx = this.map.get(key);
    if (tx !== undefined && this.expired(tx, ts)) {
      this.emit(key, tx);
      tx = undefined;
    }
    if (tx === undefined) {
      if (this.map.size >= this.cfg.maxTransactions) this.evictOldest();
      tx = new Transaction(ts, sink);
      this.map.set(key, tx);
    }
    this.update(tx, m, buf, src, conn, ts);
    if (tx.uids.length >= this.cfg.maxUids || tx.msgTypes.length >= this.cfg.maxMsgTypes) {
      sink.count('decoder.dhcp.transactions_split');
      this.emit(key, tx);
    }
  }

  /** Writes every transaction that is due at packet time `now`. */
  tick(now: number): void {
    if (this.map.size === 0) return;
    for (const [key, tx] of this.map) {
      if (this.expired(tx, now)) this.emit(key, tx);
    }
  }

  /** Writes everything still open (end of input; Zeek's `zeek_done`). */
  flush(): void {
    for (const [key, tx] of this.map) this.emit(key, tx);
  }

  private expired(tx: Transaction, now: number): boolean {
    const age = now - tx.ts;
    if (age > this.cfg.maxWatchSecs) return true;
    return age >= this.cfg.minAgeSecs && now - tx.last > this.cfg.lingerSecs;
  }

  private evictOldest(): void {
    // Map iteration order is insertion order: the first entry is the oldest transaction.
    for (const [key, tx] of this.map) {
      tx.sink.count('decoder.dhcp.transactions_capped');
      this.emit(key, tx);
      return;
    }
  }

  private emit(key: string, tx: Transaction): void {
    this.map.delete(key);
    tx.sink.log('dhcp', tx.ts, null, tx.record());
  }

  private update(tx: Transaction, m: DhcpMessage, buf: Uint8Array, src: string, conn: ConnInfo, ts: number): void {
    tx.last = ts;
    if (!tx.uids.includes(conn.uid)) tx.uids.push(conn.uid);
    tx.msgTypes.push(msgTypeName(m.msgType));
    tx.msgOrig.push(src);
    // Zeek decides client vs server by flow direction and ports; op is what the sender says it
    // is, which also holds for unicast renewals and relayed messages.
    const isClient = m.op === OP_REQUEST;
    const message = str(buf, m.message);
    if (message !== undefined) {
      if (isClient) tx.clientMessage = message;
      else tx.serverMessage = message;
    }
    const vendor = str(buf, m.vendorClass);
    if (vendor !== undefined) {
      if (isClient) tx.clientSoftware = vendor;
      else tx.serverSoftware = vendor;
    }
    const chaddrLen = m.hlen === 6 ? 6 : 16;
    if (isClient) {
      // A relay agent forwards from its own address: that is not the client's.
      if (src !== '0.0.0.0' && src !== '255.255.255.255' && (m.giaddr === 0 || src !== ip4(m.giaddr))) {
        tx.clientAddr = src;
      }
      const host = str(buf, m.hostName);
      if (host !== undefined) tx.hostName = host;
      if (m.clientFqdn.present) this.fqdn(tx, m, buf, conn, ts);
      let idMac = '';
      if (m.clientId.present) {
        tx.clientId = hex(buf, m.clientId.off, m.clientId.len);
        if (buf[m.clientId.off] === 1) idMac = hwAddr(buf, m.clientId.off + 1, m.clientId.len - 1);
      }
      if (idMac !== '') tx.mac = idMac;
      else tx.clientChaddr = hwAddr(buf, m.chaddrOff, chaddrLen);
      if (m.requestedAddr >= 0) tx.requestedAddr = ip4(m.requestedAddr);
      if (m.paramList.present) {
        const pl: number[] = [];
        for (let i = 0; i < m.paramList.len; i++) pl.push(buf[m.paramList.off + i]);
        tx.paramList = pl;
      }
      const mud = str(buf, m.mudUrl);
      if (mud !== undefined) tx.mudUrl = mud;
    } else {
      // Zeek names the server only when it handed out an address.
      if (m.yiaddr !== 0) {
        tx.serverAddr = src;
        tx.assignedAddr = ip4(m.yiaddr);
      }
      if (tx.mac === undefined) {
        const ch = hwAddr(buf, m.chaddrOff, chaddrLen);
        if (ch !== '') tx.mac = ch;
      }
      if (tx.clientAddr === undefined && tx.assignedAddr !== undefined) tx.clientAddr = tx.assignedAddr;
      if (m.domain.present) {
        let l = m.domain.len;
        while (l > 0 && buf[m.domain.off + l - 1] === 0) l--;
        if (l > 0) tx.domain = safeString(buf, m.domain.off, l);
      }
      if (m.leaseTime >= 0) tx.leaseTime = m.leaseTime;
      if (m.serverId >= 0) tx.serverId = ip4(m.serverId);
      if (m.subnetMask >= 0) tx.subnetMask = ip4(m.subnetMask);
      if (m.routers.present) tx.routers = ip4List(buf, m.routers, MAX_LIST);
      if (m.dnsServers.present) tx.dnsServers = ip4List(buf, m.dnsServers, MAX_LIST);
    }
    if (m.relayInfo.present) this.relay(tx, m, buf, conn, ts);
  }

  private fqdn(tx: Transaction, m: DhcpMessage, buf: Uint8Array, conn: ConnInfo, ts: number): void {
    const v = m.clientFqdn;
    const flags = buf[v.off];
    tx.clientFqdnFlags = flags;
    const nOff = v.off + 3;
    const nLen = v.len - 3;
    if (nLen <= 0) return;
    if (flags & 4) {
      const name = wireName(buf, nOff, nLen, labelString);
      if (name !== null) {
        if (name !== '') tx.clientFqdn = name;
        return;
      }
      tx.sink.weird('dhcp_bad_fqdn', ts, conn);
    }
    tx.clientFqdn = safeString(buf, nOff, nLen);
  }

  private relay(tx: Transaction, m: DhcpMessage, buf: Uint8Array, conn: ConnInfo, ts: number): void {
    const s = this.sub;
    const r = relaySubOption(buf, m.relayInfo, 1, s);
    if (r < 0) {
      tx.sink.weird('dhcp_bad_relay_agent_info', ts, conn);
      return;
    }
    if (r > 0) tx.circuitId = safeString(buf, s.off, s.len);
    if (relaySubOption(buf, m.relayInfo, 2, s) > 0) tx.agentRemoteId = safeString(buf, s.off, s.len);
    if (relaySubOption(buf, m.relayInfo, 6, s) > 0) tx.subscriberId = safeString(buf, s.off, s.len);
  }
}

function labelString(b: Uint8Array, o: number, l: number): string {
  return safeString(b, o, l);
}
