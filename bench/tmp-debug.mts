import { benchEms } from './ingest.ts';
const o = { devices: 2000, readings: 100000, batch: 5000, concurrency: 4 };
console.log(await benchEms('distributed', o));
process.exit(0);
