/**
 * A finished connection, as conn.log describes it (formats.md §1.2). The engine fills ONE instance
 * per flow end and hands it to the sinks: a sink that keeps it must copy (`toFields()`). This keeps
 * the per-flow cost at the strings it must produce and nothing else.
 */
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';

export class ConnRecord {
  ts = 0;
  uid = '';
  origH = '';
  origP = 0;
  respH = '';
  respP = 0;
  proto = '';
  service = '';
  /** Negative when unset (Zeek leaves duration and byte counts unset for zero-length flows). */
  duration = -1;
  origBytes = 0;
  respBytes = 0;
  connState = '';
  localOrig = false;
  localResp = false;
  missedBytes = 0;
  history = '';
  origPkts = 0;
  origIpBytes = 0;
  respPkts = 0;
  respIpBytes = 0;
  ipProto = 0;
  communityId = '';
  origL2 = '';
  respL2 = '';
  vlan = 0;
  innerVlan = 0;
  /** The analyzers' ConnInfo when the flow had any (same uid), else null. */
  info: ConnInfo | null = null;

  connInfo(): ConnInfo {
    return this.info ?? {
      uid: this.uid, origH: this.origH, origP: this.origP, respH: this.respH, respP: this.respP,
      proto: this.proto === 'tcp' ? 'tcp' : 'udp', origMac: this.origL2, respMac: this.respL2,
    };
  }

  toFields(): LogFields {
    const set = this.duration > 0;
    return {
      proto: this.proto,
      service: this.service || undefined,
      duration: set ? this.duration : undefined,
      orig_bytes: set ? this.origBytes : undefined,
      resp_bytes: set ? this.respBytes : undefined,
      conn_state: this.connState,
      local_orig: this.localOrig,
      local_resp: this.localResp,
      missed_bytes: this.missedBytes,
      history: this.history || undefined,
      orig_pkts: this.origPkts,
      orig_ip_bytes: this.origIpBytes,
      resp_pkts: this.respPkts,
      resp_ip_bytes: this.respIpBytes,
      ip_proto: this.ipProto,
      community_id: this.communityId,
      orig_l2_addr: this.origL2 || undefined,
      resp_l2_addr: this.respL2 || undefined,
      vlan: this.vlan || undefined,
      inner_vlan: this.innerVlan || undefined,
    };
  }
}
