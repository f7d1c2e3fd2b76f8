/**
 * The only reader of `process.env`: parses environment and command-line flags once, validates
 * them, and fails fast naming every bad variable. Everything below receives a typed `Config`.
 */
import path from 'node:path';

export type DatabaseConfig =
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; url: string };

export interface Config {
  /** `embedded`: SQLite, in-process workers, sandbox on by default. `distributed`: PostgreSQL. */
  mode: 'embedded' | 'distributed';
  database: DatabaseConfig;
  dataDir: string;
  http: { port: number; host: string; bodyLimitBytes: number };
  /**
   * The URL others reach this API at (hosted pages, provider redirects, and the sandbox's
   * emulators for worker processes); `undefined`: the address `furrow serve` listens on.
   */
  publicUrl: string | undefined;
  /** Base64 or hex of 32 bytes; absent in embedded mode means "generate into the data dir". */
  masterKey: string | undefined;
  admin: { email: string | undefined; password: string | undefined };
  sandbox: boolean;
  /**
   * With the sandbox on, where adapters reach the emulators: the `/sandbox` of another Furrow
   * process (one serving the sandbox for several, or kept off this process's cores); `undefined`:
   * this deployment's own, at `publicUrl/sandbox`.
   */
  sandboxUrl: string | undefined;
  /** In-process worker concurrency; 0 disables in-process workers for `furrow serve`. */
  workers: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  jobs: { pollIntervalMs: number; leaseMs: number; shutdownTimeoutMs: number };
  /** Machine files: where their bytes are kept, and the largest batch upload. */
  files: { dir: string; uploadLimitBytes: number; store: BlobStoreConfig };
  alerts: {
    /** Multiplies Leaf's alert retry points (1, 30, 60, 240 min); tests use a small scale to run in seconds. */
    retryScale: number;
    /** Deliver to private, loopback and link-local addresses (SSRF protection off). */
    allowPrivate: boolean;
  };
}

/** Where machine-file bytes live: `dir` on the file system, or an S3-compatible bucket. */
export type BlobStoreConfig =
  | { kind: 'filesystem' }
  | {
      kind: 's3';
      endpoint: string;
      region: string;
      bucket: string;
      accessKeyId: string;
      /** A secret: never logged, never echoed in a configuration error. */
      secretAccessKey: string;
      forcePathStyle: boolean;
      /** `''` or a key prefix ending in `/`. */
      prefix: string;
    };

/** Flags given on the command line win over the environment. */
export interface ConfigFlags {
  port?: string | undefined;
  host?: string | undefined;
  data?: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Every variable Furrow reads, with its default; the README's configuration table mirrors it. */
export const ENVIRONMENT_VARIABLES = {
  DATABASE_URL: 'absent: SQLite file `furrow.sqlite` in the data directory',
  FURROW_DATA_DIR: './data',
  FURROW_PORT: '8080',
  FURROW_HOST: '127.0.0.1',
  FURROW_PUBLIC_URL: 'the address `furrow serve` listens on',
  FURROW_MASTER_KEY: 'embedded: generated into `<data>/master.key` (mode 0600); distributed: required',
  FURROW_ADMIN_EMAIL: 'admin@furrow.local (embedded, first start only)',
  FURROW_ADMIN_PASSWORD: 'generated and printed once (embedded, first start only)',
  FURROW_SANDBOX: 'true in embedded mode, false in distributed mode',
  FURROW_SANDBOX_URL: "this deployment's own `/sandbox` (FURROW_PUBLIC_URL + `/sandbox`)",
  FURROW_WORKERS: '4 (embedded), 0 for `furrow serve` in distributed mode',
  FURROW_BODY_LIMIT_BYTES: '1048576',
  FURROW_FILES_DIR: '`<data>/files`',
  FURROW_UPLOAD_LIMIT_BYTES: '3221225472 (3 GiB, as Leaf)',
  FURROW_BLOB_STORE: 'filesystem (FURROW_FILES_DIR); `s3` for an S3-compatible bucket',
  FURROW_S3_ENDPOINT: 'https://s3.<region>.amazonaws.com',
  FURROW_S3_REGION: 'us-east-1',
  FURROW_S3_BUCKET: 'required with FURROW_BLOB_STORE=s3',
  FURROW_S3_ACCESS_KEY_ID: 'required with FURROW_BLOB_STORE=s3',
  FURROW_S3_SECRET_ACCESS_KEY: 'required with FURROW_BLOB_STORE=s3 (a secret, never logged)',
  FURROW_S3_FORCE_PATH_STYLE: 'true when FURROW_S3_ENDPOINT is an IP address or localhost, else false',
  FURROW_S3_PREFIX: 'none (keys at the bucket root)',
  FURROW_JOB_POLL_INTERVAL_MS: '1000',
  FURROW_JOB_LEASE_MS: '30000',
  FURROW_SHUTDOWN_TIMEOUT_MS: '10000',
  FURROW_ALERT_RETRY_SCALE: '1',
  FURROW_ALERTS_ALLOW_PRIVATE: 'true in embedded mode, false in distributed mode',
  LOG_LEVEL: 'info',
} as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env, flags: ConfigFlags = {}): Config {
  const problems: string[] = [];
  const read = (name: keyof typeof ENVIRONMENT_VARIABLES): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const integer = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name}: expected a whole number from ${min} to ${max}, found "${raw}"`);
      return fallback;
    }
    return Number(raw);
  };
  const boolean = (name: string, raw: string | undefined, fallback: boolean): boolean => {
    if (raw === undefined) return fallback;
    const v = raw.toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    problems.push(`${name}: expected true or false, found "${raw}"`);
    return fallback;
  };

  const dataDir = path.resolve(flags.data ?? read('FURROW_DATA_DIR') ?? './data');
  const databaseUrl = read('DATABASE_URL');
  let database: DatabaseConfig = { kind: 'sqlite', file: path.join(dataDir, 'furrow.sqlite') };
  if (databaseUrl !== undefined) {
    if (/^postgres(ql)?:\/\//.test(databaseUrl)) database = { kind: 'postgres', url: databaseUrl };
    else if (databaseUrl.startsWith('sqlite:')) database = { kind: 'sqlite', file: path.resolve(databaseUrl.slice('sqlite:'.length)) };
    else problems.push('DATABASE_URL: expected postgres://user:password@host:port/database or sqlite:<file>, found another scheme');
  }
  const mode = database.kind === 'postgres' ? 'distributed' : 'embedded';

  const publicUrl = read('FURROW_PUBLIC_URL');
  if (publicUrl !== undefined && !/^https?:\/\/[^/\s]+(\/\S*)?$/.test(publicUrl)) {
    problems.push(`FURROW_PUBLIC_URL: expected an http(s) URL such as https://furrow.example.com, found "${publicUrl}"`);
  }

  const sandboxUrl = read('FURROW_SANDBOX_URL');
  if (sandboxUrl !== undefined && !/^https?:\/\/[^/\s]+(\/\S*)?$/.test(sandboxUrl)) {
    problems.push(`FURROW_SANDBOX_URL: expected the http(s) URL of a Furrow sandbox such as http://127.0.0.1:8081/sandbox, found "${sandboxUrl}"`);
  }

  const masterKey = read('FURROW_MASTER_KEY');
  if (masterKey !== undefined && decodeMasterKey(masterKey) === undefined) {
    problems.push('FURROW_MASTER_KEY: expected 32 bytes as base64 (44 characters) or hex (64 characters); generate one with `openssl rand -base64 32`');
  }
  if (masterKey === undefined && mode === 'distributed') {
    problems.push('FURROW_MASTER_KEY: required with a PostgreSQL DATABASE_URL, since every process must share it; generate one with `openssl rand -base64 32`');
  }

  const logLevel = (read('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(`LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, found "${logLevel}"`);
  }
  const host = flags.host ?? read('FURROW_HOST') ?? '127.0.0.1';
  const retryScaleText = read('FURROW_ALERT_RETRY_SCALE');
  let retryScale = 1;
  if (retryScaleText !== undefined) {
    const value = Number(retryScaleText);
    if (!/^\d*\.?\d+(e-?\d+)?$/i.test(retryScaleText) || !(value > 0) || value > 1000) {
      problems.push(`FURROW_ALERT_RETRY_SCALE: expected a number above 0 and at most 1000 (1 keeps Leaf's 1, 30, 60, 240 minutes; 0.001 makes them 60 ms to 14 s), found "${retryScaleText}"`);
    } else {
      retryScale = value;
    }
  }
  const adminEmail = read('FURROW_ADMIN_EMAIL');
  if (adminEmail !== undefined && !/^[^@\s]+@[^@\s]+$/.test(adminEmail)) {
    problems.push(`FURROW_ADMIN_EMAIL: expected an email address, found "${adminEmail}"`);
  }
  const adminPassword = read('FURROW_ADMIN_PASSWORD');
  if (adminPassword !== undefined && adminPassword.length < 8) {
    problems.push('FURROW_ADMIN_PASSWORD: expected at least 8 characters');
  }

  const blobStore = readBlobStore(read, boolean, problems);

  const config: Config = {
    mode,
    database,
    dataDir,
    http: {
      port: integer(flags.port !== undefined ? '--port' : 'FURROW_PORT', flags.port ?? read('FURROW_PORT'), 8080, 0, 65535),
      host,
      bodyLimitBytes: integer('FURROW_BODY_LIMIT_BYTES', read('FURROW_BODY_LIMIT_BYTES'), 1024 * 1024, 1024, 1024 * 1024 * 1024),
    },
    publicUrl: publicUrl?.replace(/\/+$/, ''),
    masterKey,
    admin: { email: adminEmail, password: adminPassword },
    sandbox: boolean('FURROW_SANDBOX', read('FURROW_SANDBOX'), mode === 'embedded'),
    sandboxUrl: sandboxUrl?.replace(/\/+$/, ''),
    workers: integer('FURROW_WORKERS', read('FURROW_WORKERS'), mode === 'embedded' ? 4 : 0, 0, 256),
    logLevel: logLevel as Config['logLevel'],
    jobs: {
      pollIntervalMs: integer('FURROW_JOB_POLL_INTERVAL_MS', read('FURROW_JOB_POLL_INTERVAL_MS'), 1000, 10, 600_000),
      leaseMs: integer('FURROW_JOB_LEASE_MS', read('FURROW_JOB_LEASE_MS'), 30_000, 1000, 3_600_000),
      shutdownTimeoutMs: integer('FURROW_SHUTDOWN_TIMEOUT_MS', read('FURROW_SHUTDOWN_TIMEOUT_MS'), 10_000, 0, 600_000),
    },
    files: {
      dir: path.resolve(read('FURROW_FILES_DIR') ?? path.join(dataDir, 'files')),
      uploadLimitBytes: integer('FURROW_UPLOAD_LIMIT_BYTES', read('FURROW_UPLOAD_LIMIT_BYTES'), 3 * 2 ** 30, 1024, 2 ** 50),
      store: blobStore,
    },
    alerts: {
      retryScale,
      // The embedded default runs on a laptop, where receivers are usually on localhost.
      allowPrivate: boolean('FURROW_ALERTS_ALLOW_PRIVATE', read('FURROW_ALERTS_ALLOW_PRIVATE'), mode === 'embedded'),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function readBlobStore(
  read: (name: keyof typeof ENVIRONMENT_VARIABLES) => string | undefined,
  boolean: (name: string, raw: string | undefined, fallback: boolean) => boolean,
  problems: string[],
): BlobStoreConfig {
  const kind = (read('FURROW_BLOB_STORE') ?? 'filesystem').toLowerCase();
  if (kind === 'filesystem') return { kind: 'filesystem' };
  if (kind !== 's3') {
    problems.push(`FURROW_BLOB_STORE: expected filesystem or s3, found "${kind}"`);
    return { kind: 'filesystem' };
  }
  const region = read('FURROW_S3_REGION') ?? 'us-east-1';
  if (!/^[a-z0-9-]+$/.test(region)) problems.push(`FURROW_S3_REGION: expected a region name such as eu-central-1 (auto for Cloudflare R2), found "${region}"`);
  const endpoint = (read('FURROW_S3_ENDPOINT') ?? `https://s3.${region}.amazonaws.com`).replace(/\/+$/, '');
  let host = '';
  if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(endpoint)) {
    problems.push(`FURROW_S3_ENDPOINT: expected the http(s) URL of an S3-compatible service such as https://s3.eu-central-1.amazonaws.com or http://minio:9000, found "${endpoint}"`);
  } else {
    host = new URL(endpoint).hostname;
  }
  const bucket = read('FURROW_S3_BUCKET');
  if (bucket === undefined) problems.push('FURROW_S3_BUCKET: required with FURROW_BLOB_STORE=s3; name a bucket that exists');
  else if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) problems.push(`FURROW_S3_BUCKET: expected an S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens), found "${bucket}"`);
  const accessKeyId = read('FURROW_S3_ACCESS_KEY_ID');
  if (accessKeyId === undefined) problems.push('FURROW_S3_ACCESS_KEY_ID: required with FURROW_BLOB_STORE=s3');
  const secretAccessKey = read('FURROW_S3_SECRET_ACCESS_KEY');
  if (secretAccessKey === undefined) problems.push('FURROW_S3_SECRET_ACCESS_KEY: required with FURROW_BLOB_STORE=s3');
  // Virtual-hosted addressing needs a DNS name to put the bucket in front of.
  const numericHost = host === 'localhost' || /^[\d.]+$/.test(host) || host.startsWith('[');
  const forcePathStyle = boolean('FURROW_S3_FORCE_PATH_STYLE', read('FURROW_S3_FORCE_PATH_STYLE'), numericHost);
  if (!forcePathStyle && numericHost) problems.push(`FURROW_S3_FORCE_PATH_STYLE: virtual-hosted addressing needs a host name, and FURROW_S3_ENDPOINT names ${host}; set FURROW_S3_FORCE_PATH_STYLE=true`);
  const rawPrefix = read('FURROW_S3_PREFIX') ?? '';
  const prefix = rawPrefix.replace(/^\/+|\/+$/g, '');
  if (prefix !== '' && !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(prefix)) {
    problems.push(`FURROW_S3_PREFIX: expected path segments of letters, digits, dots, hyphens and underscores such as furrow/production, found "${rawPrefix}"`);
  }
  return {
    kind: 's3',
    endpoint,
    region,
    bucket: bucket ?? '',
    accessKeyId: accessKeyId ?? '',
    secretAccessKey: secretAccessKey ?? '',
    forcePathStyle,
    prefix: prefix === '' ? '' : `${prefix}/`,
  };
}

/** Accepts 32 bytes as base64 or hex; anything else is `undefined`. */
export function decodeMasterKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(text)) {
    const bytes = Buffer.from(text, 'base64');
    return bytes.length === 32 ? bytes : undefined;
  }
  return undefined;
}

/** What the test suite reads from the environment: where PostgreSQL is, and whether this is CI. */
export interface TestEnvironment {
  /** Server to create throwaway databases on; defaults to the one `scripts/test-postgres.sh` starts. */
  postgresUrl: string;
  /** In CI a PostgreSQL run is never skipped: an unreachable server fails the suite. */
  ci: boolean;
}

export function loadTestEnvironment(env: Env = process.env): TestEnvironment {
  return {
    postgresUrl: env.FURROW_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:55432/postgres',
    ci: env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0',
  };
}
