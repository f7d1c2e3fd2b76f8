import { describe, expect, it } from 'vitest';
import type { Transact, UnitOfWork } from '../storage/unit-of-work.js';
import { groupCommit } from './group-commit.js';

/** A transaction log instead of a database: which writes each transaction held, and whether it committed. */
function fakeTransact() {
  const transactions: { items: number[]; committed: boolean }[] = [];
  const transact: Transact = async (work) => {
    const tx = { items: [] as number[], committed: false };
    transactions.push(tx);
    const result = await work({ db: tx, afterCommit: () => {} } as unknown as UnitOfWork);
    tx.committed = true;
    return result;
  };
  return { transact, transactions };
}

describe('groupCommit', () => {
  it('puts the writes submitted while a commit is in flight into one next transaction', async () => {
    const { transact, transactions } = fakeTransact();
    let release!: () => void;
    const firstHeld = new Promise<void>((resolve) => (release = resolve));
    const write = groupCommit<number, number>(transact, async (items, uow) => {
      if (items.includes(0)) await firstHeld;
      (uow.db as unknown as { items: number[] }).items.push(...items);
      return items.map((i) => i * 10);
    });

    const first = write(0);
    await new Promise((resolve) => setImmediate(resolve));
    const rest = [1, 2, 3].map((i) => write(i));
    release();

    expect(await first).toBe(0);
    expect(await Promise.all(rest)).toEqual([10, 20, 30]);
    expect(transactions.map((t) => t.items)).toEqual([[0], [1, 2, 3]]);
  });

  it('runs each write of a failed batch alone, so only the failing write sees the error', async () => {
    const { transact, transactions } = fakeTransact();
    const write = groupCommit<number, number>(transact, async (items, uow) => {
      (uow.db as unknown as { items: number[] }).items.push(...items);
      if (items.includes(2)) throw new Error('write 2 fails');
      return items;
    });

    const results = await Promise.allSettled([1, 2, 3].map((i) => write(i)));

    expect(results).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: new Error('write 2 fails') },
      { status: 'fulfilled', value: 3 },
    ]);
    expect(transactions.map((t) => [t.items, t.committed])).toEqual([
      [[1, 2, 3], false],
      [[1], true],
      [[2], false],
      [[3], true],
    ]);
  });
});
