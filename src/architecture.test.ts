/**
 * The dependency direction of STYLE.md, checked on every import: api/ and jobs/ call services/;
 * services/ calls providers/, formats/, spatial/, storage/; everything may import domain/; domain/
 * imports nothing. formats/ and spatial/ do no I/O. SQL drivers only in storage/ and the queue.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.dirname(new URL(import.meta.url).pathname);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Production files only: tests and `testing/` helpers may reach across layers to set things up. */
const files = sourceFiles(root).filter((f) => !f.endsWith('.test.ts') && !f.split(path.sep).includes('testing'));

function importsOf(file: string, options: { valuesOnly?: boolean } = {}): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const statements = [...text.matchAll(/^\s*(import|export)(\s+type)?\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)]
    .filter((m) => !(options.valuesOnly === true && m[2] !== undefined))
    .map((m) => m[3]!);
  return [...statements, ...[...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!)];
}

/** The top-level folder (or file) under src/ that an import lands in, or the package name. */
function target(file: string, specifier: string): { layer?: string; pkg?: string } {
  if (!specifier.startsWith('.')) return { pkg: specifier.startsWith('node:') ? specifier : specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/') };
  const resolved = path.relative(root, path.resolve(path.dirname(file), specifier));
  return { layer: resolved.split(path.sep)[0]!.replace(/\.js$/, '') };
}

const layerOf = (file: string) => path.relative(root, file).split(path.sep)[0]!.replace(/\.ts$/, '');

const ALLOWED: Record<string, string[]> = {
  domain: ['domain'],
  formats: ['domain', 'formats'],
  spatial: ['domain', 'spatial'],
  storage: ['domain', 'storage', 'config'],
  keys: ['domain', 'keys', 'config'],
  providers: ['domain', 'providers', 'formats', 'keys'],
  services: ['domain', 'services', 'storage', 'providers', 'formats', 'spatial', 'keys', 'jobs', 'alerts'],
  jobs: ['domain', 'jobs', 'services', 'storage', 'config'],
  // The HTTP edge builds per-provider routes and schemas from the provider registry, and mounts the sandbox.
  api: ['domain', 'api', 'services', 'web', 'providers', 'sandbox'],
  web: ['domain', 'web', 'services'],
  sandbox: ['domain', 'sandbox', 'providers'],
  // The alerts capability's pure rules and its one HTTP sender: it knows no storage and no service.
  alerts: ['domain', 'alerts'],
};

const IO_PACKAGES = ['node:fs', 'node:fs/promises', 'node:net', 'node:http', 'node:https', 'pg', 'better-sqlite3', 'kysely'];
const SQL_PACKAGES = ['pg', 'better-sqlite3', 'kysely', 'graphile-worker'];

describe('the dependency direction', () => {
  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it('keeps every layer to the layers it may import', () => {
    const violations: string[] = [];
    for (const file of files) {
      const layer = layerOf(file);
      const allowed = ALLOWED[layer];
      if (allowed === undefined) continue; // composition root, cli, config, logger
      for (const specifier of importsOf(file)) {
        const t = target(file, specifier);
        if (t.layer !== undefined && !allowed.includes(t.layer)) violations.push(`${path.relative(root, file)} imports ${specifier} (${layer}/ may import ${allowed.join(', ')})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps formats/ and spatial/ free of I/O', () => {
    const violations = files
      .filter((f) => ['formats', 'spatial', 'domain'].includes(layerOf(f)))
      .flatMap((f) => importsOf(f).filter((s) => IO_PACKAGES.includes(target(f, s).pkg ?? '')).map((s) => `${path.relative(root, f)} imports ${s}`));
    expect(violations).toEqual([]);
  });

  it('keeps database drivers in storage/ and the queue implementations', () => {
    const violations = files
      .filter((f) => !['storage', 'jobs'].includes(layerOf(f)) || (layerOf(f) === 'jobs' && !/jobs[/\\](sqlite|postgres)[/\\]/.test(f)))
      // Type-only imports carry no driver; they let services name `Kysely` types if they must.
      .flatMap((f) => importsOf(f, { valuesOnly: true }).filter((s) => SQL_PACKAGES.includes(target(f, s).pkg ?? '')).map((s) => `${path.relative(root, f)} imports ${s}`))
      .filter((v) => !v.startsWith('main.ts') && !v.startsWith('cli.ts'));
    expect(violations).toEqual([]);
  });
});
