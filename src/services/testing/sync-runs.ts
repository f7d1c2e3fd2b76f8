import type { ApiHarness } from '../../api/testing/api-harness.js';
import type { SyncRun } from '../../storage/repositories/sync.js';

/**
 * Waits until the credential has `count` runs, the newest one finished, and returns them newest
 * first; fails with the last runs seen. Polls: runs are made by the harness's real queue.
 */
export async function runsReaching(h: ApiHarness, credentialId: string, count: number, attempts = 600): Promise<SyncRun[]> {
  let runs: SyncRun[] = [];
  for (let i = 0; i < attempts; i++) {
    runs = await h.services.sync.listRuns(credentialId);
    if (runs.length >= count && runs[0]!.finishedAt !== null) return runs;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`expected ${count} finished sync runs of ${credentialId}, found ${JSON.stringify(runs)}`);
}
