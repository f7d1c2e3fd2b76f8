import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Services } from '../../services/index.js';
import { createTasks, schedules } from './index.js';

const dir = path.dirname(new URL(import.meta.url).pathname);
const taskFiles = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.endsWith('.test.ts'))
  .map((f) => f.replace(/\.ts$/, ''));

describe('the task registry', () => {
  const tasks = createTasks({} as Services);

  it('lists every task file under its file name, and nothing else', () => {
    expect(taskFiles.length).toBeGreaterThan(0);
    expect(Object.keys(tasks).sort()).toEqual([...taskFiles].sort());
  });

  it('names each task after its registry key', () => {
    for (const [key, task] of Object.entries(tasks)) expect(task.name).toBe(key);
  });

  it('schedules only registered tasks', () => {
    for (const schedule of schedules) expect(Object.keys(tasks)).toContain(schedule.task);
  });
});
