import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';

/**
 * Prisma's schema engine compiled to WebAssembly, loaded by hand: its package imports the
 * .wasm file as an ES module, which Node 20 cannot do. This is what lets migrations run
 * without Prisma's native engine download (docs/decisions/002-offline-migrations.md).
 */

const require = createRequire(import.meta.url);

async function loadGlue() {
  const pkgDir = path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
  const glue = await import('@prisma/schema-engine-wasm/schema_engine_bg');
  const bytes = readFileSync(path.join(pkgDir, 'schema_engine_bg.wasm'));
  const module = new WebAssembly.Module(bytes);
  const instance = new WebAssembly.Instance(module, {
    './schema_engine_bg.js': glue as unknown as WebAssembly.ModuleImports,
  });
  (glue as unknown as { __wbg_set_wasm(e: WebAssembly.Exports): void }).__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return glue as unknown as { SchemaEngine: typeof SchemaEngine };
}

type Connected = Awaited<ReturnType<PrismaPg['connect']>>;

/**
 * @prisma/adapter-pg runs a migration script by splitting it on every ";", which breaks any
 * PL/pgSQL body or string literal holding one. Prisma's native engine sends the script whole,
 * as one simple-protocol query; this factory restores that behaviour.
 */
function wholeScriptFactory(connectionString: string, opened: Connected[]) {
  const factory = new PrismaPg({ connectionString });
  const patch = (adapter: Connected): Connected => {
    opened.push(adapter);
    const pool = adapter.underlyingDriver() as { query(sql: string): Promise<unknown> };
    const raise = (adapter as unknown as { onError(e: unknown): never }).onError.bind(adapter);
    adapter.executeScript = async (script: string) => {
      try {
        await pool.query(script);
      } catch (err) {
        raise(err);
      }
    };
    return adapter;
  };
  return Object.assign(Object.create(Object.getPrototypeOf(factory)), factory, {
    connect: async () => patch(await factory.connect()),
    connectToShadowDb: async () => patch(await factory.connectToShadowDb()),
  }) as PrismaPg;
}

let gluePromise: ReturnType<typeof loadGlue> | undefined;

export interface EngineHandle {
  engine: SchemaEngine;
  close(): Promise<void>;
}

/**
 * An engine bound to a database. `datamodel` is the schema text the engine starts from;
 * it is only used by commands that read it (none of those we call need the live schema).
 */
export async function openSchemaEngine(connectionString: string, datamodel: { path: string; content: string }): Promise<EngineHandle> {
  gluePromise ??= loadGlue();
  const { SchemaEngine: Engine } = await gluePromise;
  const opened: Connected[] = [];
  const adapter = bindMigrationAwareSqlAdapterFactory(wholeScriptFactory(connectionString, opened));
  const logs: string[] = [];
  const engine = await Engine.new({ datamodels: [[datamodel.path, datamodel.content]] }, (line: string) => logs.push(line), adapter);
  return {
    engine,
    // free() releases the engine but not the adapter's pool, whose open connections would
    // block e.g. CREATE DATABASE ... TEMPLATE on this database.
    close: async () => {
      engine.free();
      await Promise.all(opened.map((a) => a.dispose()));
    },
  };
}

export const EMPTY_FILTERS = { externalTables: [], externalEnums: [] };

/** SQL that takes a database from schema `from` (or nothing) to schema `to`; no database is read. */
export async function diffSchemas(
  connectionString: string,
  from: { path: string; content: string } | null,
  to: { path: string; content: string },
): Promise<string> {
  const { engine, close } = await openSchemaEngine(connectionString, to);
  try {
    const result = await engine.diff({
      from: from ? { tag: 'schemaDatamodel', files: [from] } : { tag: 'empty' },
      to: { tag: 'schemaDatamodel', files: [to] },
      script: true,
      exitCode: null,
      filters: EMPTY_FILTERS,
    });
    return result.stdout ?? '';
  } finally {
    await close();
  }
}
