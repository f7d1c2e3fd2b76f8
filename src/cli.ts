#!/usr/bin/env node
/**
 * `furrow serve | worker | migrate | api-owner create`: the command line. Parses flags, loads the
 * configuration once, and hands over to the composition root.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.js';
import { isFurrowError } from './domain/index.js';
import { createLogger } from './logger.js';
import type { Furrow } from './main.js';

const USAGE = `Usage: furrow <command> [options]

Commands:
  serve [--port 8080] [--host 127.0.0.1] [--data ./data]   migrate, then serve the API with in-process workers
  worker [--data ./data]                                    run job workers only (distributed mode)
  migrate [--data ./data]                                   apply database migrations and exit
  api-owner create --email E --password P [--data ./data]   create an API owner
  keys rotate [--data ./data]                               re-encrypt every secret under a new key version
  convert <file-or-folder> [--to geojson|geoparquet] [--out dir] [--units METRIC|IMPERIAL|DEFAULT] [--cleanup]
                                                            convert machine files (zip, folder, file) offline

Configuration comes from the environment; see the README for every variable.`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** Runs until SIGTERM or SIGINT, then drains and exits 0. */
async function runUntilSignalled(furrow: Furrow, role: string): Promise<void> {
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      furrow.logger.warn({ signal }, 'second signal: exiting without draining');
      process.exit(1);
    }
    furrow.logger.info({ signal }, `draining the ${role}`);
    furrow.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        furrow.logger.error({ err: error }, 'error while draining');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  await furrow.start();
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      data: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      to: { type: 'string' },
      out: { type: 'string' },
      units: { type: 'string' },
      cleanup: { type: 'boolean' },
    },
  });
  const [command, sub] = positionals;
  if (values.help === true || command === undefined || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command === 'convert') {
    // Offline: no configuration, no database.
    const { parseConvertOptions, runConvert } = await import('./cli-convert.js');
    const options = parseConvertOptions(positionals, values);
    if (typeof options === 'string') fail(options);
    const report = await runConvert(options);
    if (report.files.length === 0) process.exitCode = 1;
    return;
  }
  // The server stack loads only for the commands that need it, so `convert` starts fast.
  const { createFurrow } = await import('./main.js');
  const { apiOwnersService } = await import('./services/api-owners.js');
  const { apiOwnersRepository } = await import('./storage/repositories/api-owners.js');
  const { openStorage } = await import('./storage/database.js');
  const { resolveMasterKey } = await import('./keys/index.js');
  let config: Config;
  try {
    config = loadConfig(undefined, { port: values.port, host: values.host, data: values.data });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }

  switch (command) {
    case 'serve': {
      const furrow = await createFurrow(config, { role: 'serve' });
      await runUntilSignalled(furrow, 'server');
      process.stdout.write(`Furrow is listening on ${furrow.url ?? '?'} (${config.mode} mode, ${config.database.kind}${config.sandbox ? ', sandbox on' : ''})\n`);
      return;
    }
    case 'worker': {
      const furrow = await createFurrow(config, { role: 'worker' });
      await runUntilSignalled(furrow, 'worker');
      furrow.logger.info({ concurrency: Math.max(1, config.workers) }, 'worker started');
      return;
    }
    case 'migrate': {
      const storage = openStorage(config.database);
      try {
        const { applied } = await storage.migrate();
        process.stdout.write(applied.length === 0 ? 'The database is up to date.\n' : `Applied: ${applied.join(', ')}\n`);
      } finally {
        await storage.close();
      }
      return;
    }
    case 'api-owner': {
      if (sub !== 'create') fail(`Unknown api-owner command "${sub ?? ''}". Expected: furrow api-owner create --email E --password P`);
      if (values.email === undefined || values.password === undefined) fail('furrow api-owner create needs --email and --password.');
      const storage = openStorage(config.database);
      try {
        await storage.migrate();
        const { key } = resolveMasterKey({ configured: config.masterKey, dataDir: config.dataDir });
        const owner = await apiOwnersService({ owners: apiOwnersRepository(storage.db, storage.dialect), masterKey: key }).create(values.email, values.password);
        process.stdout.write(`Created API owner ${owner.email} (${owner.id}).\n`);
      } finally {
        await storage.close();
      }
      return;
    }
    case 'keys': {
      if (sub !== 'rotate') fail(`Unknown keys command "${sub ?? ''}". Expected: furrow keys rotate`);
      const { ROTATION_GRACE_MS, secretKeysOn } = await import('./services/secret-keys.js');
      const storage = openStorage(config.database);
      let remaining = 0;
      try {
        await storage.migrate();
        const { key } = resolveMasterKey({ configured: config.masterKey, dataDir: config.dataDir });
        const report = await secretKeysOn(storage, key).rotate({ graceMs: ROTATION_GRACE_MS, log: (line) => process.stdout.write(`${line}\n`) });
        remaining = report.remaining;
        process.stdout.write(
          `Rotated the secret key from version ${report.from} to ${report.to}: re-encrypted ${report.reencrypted} secret${report.reencrypted === 1 ? '' : 's'} (credentials, app keys, PKCE verifiers)` +
            `${report.conflicts > 0 ? ` (${report.conflicts} changed meanwhile and were read again)` : ''}.\n`,
        );
        if (report.undecryptable.length > 0) {
          process.stdout.write(`Not decryptable, left as they are (re-enter these credentials or app keys): ${report.undecryptable.join(', ')}\n`);
        }
        if (report.gaveUp.length > 0) {
          process.stdout.write(`Kept changing during the rotation, still on an older version (run the rotation again): ${report.gaveUp.join(', ')}\n`);
        }
        if (remaining === 0) process.stdout.write(`Every secret is now encrypted with version ${report.to}.\n`);
      } finally {
        await storage.close();
      }
      if (remaining > 0) process.exitCode = 1;
      return;
    }
    default:
      fail(`Unknown command "${command}".\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (isFurrowError(error)) fail(`furrow: ${error.message} (${error.code})`, 1);
  if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) fail(`furrow: ${error.message}\n\n${USAGE}`);
  createLogger('error').fatal({ err: error }, 'furrow failed to start');
  process.exit(1);
});
