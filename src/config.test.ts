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

  it('keeps machine files in the data directory unless FURROW_BLOB_STORE=s3 names a bucket', () => {
    expect(loadConfig({}).files.store).toEqual({ kind: 'filesystem' });
    const s3 = { FURROW_BLOB_STORE: 's3', FURROW_S3_BUCKET: 'furrow-files', FURROW_S3_ACCESS_KEY_ID: 'AKIAEXAMPLE', FURROW_S3_SECRET_ACCESS_KEY: 'secret-value-1234' };
    expect(loadConfig({ ...s3, FURROW_S3_REGION: 'eu-central-1' }).files.store).toEqual({
      kind: 's3',
      endpoint: 'https://s3.eu-central-1.amazonaws.com',
      region: 'eu-central-1',
      bucket: 'furrow-files',
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: 'secret-value-1234',
      forcePathStyle: false,
      prefix: '',
    });
    // MinIO on an address: virtual-hosted names are impossible there, so path-style is the default.
    expect(loadConfig({ ...s3, FURROW_S3_ENDPOINT: 'http://127.0.0.1:9000/', FURROW_S3_PREFIX: '/furrow/prod/' }).files.store).toMatchObject({
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      forcePathStyle: true,
      prefix: 'furrow/prod/',
    });
    expect(loadConfig({ ...s3, FURROW_S3_ENDPOINT: 'https://minio.internal', FURROW_S3_FORCE_PATH_STYLE: 'true' }).files.store).toMatchObject({ forcePathStyle: true });
  });

  it('names every missing or bad S3 variable, and never echoes the secret', () => {
    let error: unknown;
    try {
      loadConfig({ FURROW_BLOB_STORE: 's3', FURROW_S3_SECRET_ACCESS_KEY: 'do-not-print-me', FURROW_S3_ENDPOINT: 'minio:9000', FURROW_S3_PREFIX: 'a/../b c' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['FURROW_S3_BUCKET', 'FURROW_S3_ACCESS_KEY_ID', 'FURROW_S3_ENDPOINT', 'FURROW_S3_PREFIX']) expect(problems).toContain(name);
    expect((error as Error).message).not.toContain('do-not-print-me');
    expect(() => loadConfig({ FURROW_BLOB_STORE: 'nfs' })).toThrow(/FURROW_BLOB_STORE: expected filesystem or s3/);
    expect(() => loadConfig({ FURROW_BLOB_STORE: 's3', FURROW_S3_BUCKET: 'b-1', FURROW_S3_ACCESS_KEY_ID: 'k' })).toThrow(/FURROW_S3_SECRET_ACCESS_KEY: required/);
    expect(() =>
      loadConfig({ FURROW_BLOB_STORE: 's3', FURROW_S3_BUCKET: 'b-1', FURROW_S3_ACCESS_KEY_ID: 'k', FURROW_S3_SECRET_ACCESS_KEY: 's', FURROW_S3_ENDPOINT: 'http://10.0.0.5:9000', FURROW_S3_FORCE_PATH_STYLE: 'false' }),
    ).toThrow(/FURROW_S3_FORCE_PATH_STYLE: virtual-hosted addressing needs a host name/);
  });

  it('refuses an alert retry scale that is not a positive number', () => {
    for (const bad of ['0', '-1', 'fast', '1e9']) expect(() => loadConfig({ FURROW_ALERT_RETRY_SCALE: bad })).toThrow(/FURROW_ALERT_RETRY_SCALE/);
  });
});
