/**
 * A child process that announces itself on its first stdout line (the emulator host prints its
 * URL and tokens): that line, or a clear error when the child exits or stays silent first.
 */
import type { ChildProcess } from 'node:child_process';
import readline from 'node:readline';

export interface AnnouncedChild {
  first: string;
  /** Resolves when the child exits. */
  exited: Promise<void>;
  /** The last 4,000 characters of its stderr, for error messages. */
  stderr(): string;
}

export async function firstLineOf(child: ChildProcess, what: string, timeoutMs: number): Promise<AnnouncedChild> {
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs / 1000} s: ${stderr}`)), timeoutMs);
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}: ${stderr}`)));
    readline.createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
  });
  return { first, exited, stderr: () => stderr };
}
