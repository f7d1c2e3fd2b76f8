/** What the provider-file sync tests share: the API paths they call, the files as GET /files shows them. */
import type { ApiHarness } from '../../api/testing/api-harness.js';
import type { EmulatedMachineFile } from '../../providers/provider-emulator.js';
import type { SyncOperationType } from '../../providers/sync-data.js';

export const USERS_API = '/services/usermanagement/api/users';
export const CONFIGS_API = '/services/config/api/configs';
export const FILES_API = '/services/operations/api/files';
export const FIELDS_API = '/services/fields/api';

/** The sandbox's operations as the providers' listings map them (Deere's `fieldOperationType`, Climate's layers). */
export const OPERATION_TYPES: Record<EmulatedMachineFile['operation'], SyncOperationType> = { harvest: 'harvested', seeding: 'planted', application: 'applied', tillage: 'tillage' };

/** A file in `GET /files`, the keys the tests read. */
export interface ProviderFileView {
  id: string;
  origin: string;
  provider: string;
  providerFileId?: string;
  operationType?: string;
  status: string;
  batchId?: string;
  fileName: string;
}

/** The user's files once `count` are there and none is still processing; fails with what was seen. */
export async function filesSettled(h: ApiHarness, userId: string, count: number): Promise<ProviderFileView[]> {
  let files: ProviderFileView[] = [];
  for (let i = 0; i < 1200; i++) {
    files = (await h.request({ method: 'GET', url: `${FILES_API}?leafUserId=${userId}&size=100` })).json() as ProviderFileView[];
    if (files.length >= count && files.every((f) => f.status !== 'processing')) return files;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`expected ${count} settled files of user ${userId}, found ${JSON.stringify(files.map((f) => [f.providerFileId, f.status]))}`);
}
