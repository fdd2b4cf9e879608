import { defineConfig } from 'prisma/config';

// Used by an online user's `npx prisma migrate deploy` / `migrate status`; offline, the
// project's own scripts (scripts/db-migrate.ts) do the same with the WebAssembly engine.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5433/syncwatch' },
});
