import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe } from 'vitest';
import type { BlobStore } from './blob-store.js';
import { filesystemBlobStore, hasTemporaryFiles } from './filesystem-blob-store.js';
import { blobStoreContract } from './testing/blob-store-contract.js';

describe('the filesystem blob store keeps the blob-store contract', () => {
  let root: string;
  let store: BlobStore;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'furrow-blobs-'));
    store = filesystemBlobStore(root);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  blobStoreContract(() => ({ store, hasLeftovers: () => hasTemporaryFiles(root) }));
});
