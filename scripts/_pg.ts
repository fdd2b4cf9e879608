import { startEmbeddedPostgres } from '../lib/db/embedded';
const s = await startEmbeddedPostgres({ dataDir: '.data/postgres', port: 5433 });
console.log(s.baseUrl); await new Promise(r => setTimeout(r, 40000)); await s.stop();
