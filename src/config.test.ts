import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('loadConfig', () => {
  it('defaults to the embedded mode: SQLite in ./data, sandbox on, 4 workers', () => {
    const config = loadConfig({});
    expect(config.mode).toBe('embedded');
    expect(config.database.kind).toBe('sqlite');
    expect(config.database.kind === 'sqlite' && config.database.file.endsWith('/data/furrow.sqlite')).toBe(true);
    expect(config.sandbox).toBe(true);
    expect(config.workers).toBe(4);
    expect(config.http).toMatchObject({ port: 8080, host: '127.0.0.1' });
  });

  it('switches to distributed mode with a PostgreSQL URL, sandbox off and no API workers', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/furrow', FURROW_MASTER_KEY: KEY });
    expect(config.mode).toBe('distributed');
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u:p@db:5432/furrow' });
    expect(config.sandbox).toBe(false);
    expect(config.workers).toBe(0);
  });

  it('lets flags win over the environment', () => {
    const config = loadConfig({ FURROW_PORT: '9000', FURROW_DATA_DIR: '/tmp/a' }, { port: '9100', data: '/tmp/b' });
    expect(config.http.port).toBe(9100);
    expect(config.dataDir).toBe('/tmp/b');
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ FURROW_PORT: 'eighty', FURROW_SANDBOX: 'maybe', LOG_LEVEL: 'loud', FURROW_MASTER_KEY: 'short', DATABASE_URL: 'mysql://x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['FURROW_PORT', 'FURROW_SANDBOX', 'LOG_LEVEL', 'FURROW_MASTER_KEY', 'DATABASE_URL']) expect(problems).toContain(name);
  });

  it('reaches the emulators at another process\'s sandbox when FURROW_SANDBOX_URL names one, and refuses a URL that is not http(s)', () => {
    expect(loadConfig({}).sandboxUrl).toBeUndefined();
    expect(loadConfig({ FURROW_SANDBOX_URL: 'http://127.0.0.1:8081/sandbox/' }).sandboxUrl).toBe('http://127.0.0.1:8081/sandbox');
    expect(() => loadConfig({ FURROW_SANDBOX_URL: 'ftp://sandbox' })).toThrow(/FURROW_SANDBOX_URL: expected the http\(s\) URL/);
  });

  it('requires a master key in distributed mode, since every process must share it', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgresql://db/furrow' })).toThrow(/FURROW_MASTER_KEY: required/);
  });

  it('accepts a hex master key', () => {
    expect(loadConfig({ FURROW_MASTER_KEY: 'ab'.repeat(32) }).masterKey).toBe('ab'.repeat(32));
  });

  it('keeps Leaf\'s alert retry times and allows private webhook targets only in embedded mode by default', () => {
    expect(loadConfig({}).alerts).toEqual({ retryScale: 1, allowPrivate: true });
    expect(loadConfig({ DATABASE_URL: 'postgres://db/furrow', FURROW_MASTER_KEY: KEY }).alerts).toEqual({ retryScale: 1, allowPrivate: false });
    expect(loadConfig({ FURROW_ALERT_RETRY_SCALE: '0.001', FURROW_ALERTS_ALLOW_PRIVATE: 'false' }).alerts).toEqual({ retryScale: 0.001, allowPrivate: false });
  });

  it('refuses an alert retry scale that is not a positive number', () => {
    for (const bad of ['0', '-1', 'fast', '1e9']) expect(() => loadConfig({ FURROW_ALERT_RETRY_SCALE: bad })).toThrow(/FURROW_ALERT_RETRY_SCALE/);
  });
});
