/**
 * Child process for the kill -9 test (crash.test.ts): writes flows through the Store as fast as
 * the batching allows, forever, until the parent SIGKILLs it. Flow n has ts = BASE + n and uid
 * `S<n>`; it continues after the highest n already in the file. After each flush() returns it
 * prints `ack <n>`: every flow up to n is committed. Lines go out with writeSync, so a line the
 * parent reads was written before the kill.
 *
 * Usage: node dist/test/store/crash-child.js DB_PATH
 */
import { writeSync } from 'node:fs';
import { openStore } from '../../src/store/open.js';
import { CRASH_BASE_TS, alert, flowRow } from './fixtures.js';

const path = process.argv[2];
const { store, recovered } = openStore({
  path,
  batchMs: 5,
  maxBatchRows: 300,
  flowBudget: null,
  refreshMs: 20,
  // Small WAL: checkpoints happen all the time, so kills land in them too.
  walAutocheckpoint: 64,
});
const last = store.flows({ limit: 1 })[0];
let n = last ? Math.round(last.ts - CRASH_BASE_TS) + 1 : 0;
writeSync(1, `open ${JSON.stringify(recovered)} ${n}\n`);

let round = 0;
function burst(): void {
  const count = 50 + (round % 7) * 30;
  for (let i = 0; i < count; i++, n++) {
    store.addFlow(flowRow({ ts: CRASH_BASE_TS + n, uid: 'S' + n, device: `aa:bb:cc:00:00:${(n % 16).toString(16).padStart(2, '0')}`, duration: 0 }));
  }
  if (round % 5 === 0) store.addAlert(alert({ ts: CRASH_BASE_TS + n, key: 'crash|' + (round % 3) }));
  // Every third round is left to the batch timer; the others are flushed and acknowledged.
  if (round % 3 !== 2) {
    store.flush();
    writeSync(1, `ack ${n - 1}\n`);
  }
  round++;
  setTimeout(burst, round % 4);
}
burst();
