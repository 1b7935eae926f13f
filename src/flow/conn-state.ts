/**
 * Zeek's conn_state, from the endpoint states the engine tracks (formats.md §1.2; the decision
 * order follows Zeek's base/protocols/conn/main.zeek so that states agree with Zeek's logs).
 */
export const EP_INACTIVE = 0;
export const EP_SYN_SENT = 1;
export const EP_SYN_ACK_SENT = 2;
export const EP_PARTIAL = 3;
export const EP_ESTABLISHED = 4;
export const EP_CLOSED = 5;
export const EP_RESET = 6;

const RSTOS0 = /^\^?S[^HAFGIQ]*R/;

export function connState(proto: number, os: number, rs: number, origSize: number, respSize: number, history: string): string {
  if (proto === 6) {
    const oInactive = os === EP_INACTIVE || os === EP_PARTIAL;
    const rInactive = rs === EP_INACTIVE || rs === EP_PARTIAL;
    if (rs === EP_RESET) {
      if (os === EP_SYN_SENT || os === EP_SYN_ACK_SENT || (os === EP_RESET && origSize === 0 && respSize === 0)) return 'REJ';
      if (oInactive) return 'RSTRH';
      return 'RSTR';
    }
    if (os === EP_RESET) {
      if (rInactive) return RSTOS0.test(history) ? 'RSTOS0' : 'OTH';
      return 'RSTO';
    }
    if (rs === EP_CLOSED && os === EP_CLOSED) return 'SF';
    if (os === EP_CLOSED) return rInactive ? 'SH' : 'S2';
    if (rs === EP_CLOSED) return oInactive ? 'SHR' : 'S3';
    if (os === EP_SYN_SENT && rs === EP_INACTIVE) return 'S0';
    if (os === EP_ESTABLISHED && rs === EP_ESTABLISHED) return 'S1';
    return 'OTH';
  }
  if (proto === 17) {
    const oa = os !== EP_INACTIVE;
    const ra = rs !== EP_INACTIVE;
    if (oa) return ra ? 'SF' : 'S0';
    return ra ? 'SHR' : 'OTH';
  }
  return 'OTH';
}
