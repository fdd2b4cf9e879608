import { getDb } from '../lib/db/client';
const db = getDb();
console.log(await db.specialization.findMany());
console.log(await db.$queryRaw`SELECT count(*)::int AS n FROM level_requirements`);
await db.$disconnect();
