/**
 * Test helpers for application analyzers: a sink that records what an analyzer emits, and a
 * ConnInfo builder. Used by unit tests that feed analyzers bytes directly; end-to-end tests go
 * through `vigil analyze` on corpus captures instead.
 */
import type { AppSink, ConnInfo, LogFields } from '../../src/decode/app/analyzer.js';

export interface RecordedLog { path: string; ts: number; conn: ConnInfo | null; fields: LogFields }
export interface RecordedWeird { name: string; ts: number; addl: string | undefined }

export class RecordingSink implements AppSink {
  readonly logs: RecordedLog[] = [];
  readonly weirds: RecordedWeird[] = [];
  readonly counters = new Map<string, number>();
  log(path: string, ts: number, conn: ConnInfo | null, fields: LogFields): void {
    this.logs.push({ path, ts, conn, fields });
  }
  weird(name: string, ts: number, _conn: ConnInfo | null, addl?: string): void {
    this.weirds.push({ name, ts, addl });
  }
  count(name: string, n = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
  }
  of(path: string): LogFields[] {
    return this.logs.filter((l) => l.path === path).map((l) => l.fields);
  }
}

export function testConn(over: Partial<ConnInfo> = {}): ConnInfo {
  return {
    uid: 'CtestUid0000000001',
    origH: '192.168.1.10',
    origP: 50000,
    respH: '192.168.1.1',
    respP: 53,
    proto: 'udp',
    origMac: '00:11:22:33:44:55',
    respMac: '66:77:88:99:aa:bb',
    ...over,
  };
}
