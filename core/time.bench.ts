// Micro benchmark for the per-reading time arithmetic: `npx tsx actors/time.bench.ts`
// prints operations per second. No assertions: the numbers are for people, and timing
// on a shared machine is too noisy to gate anything on.
import { formatIsoWithOffset, hourStartOf, localDateOf } from './time.ts';

const ZONES = ['UTC', 'Europe/Bucharest', 'Asia/Kolkata', 'America/New_York', 'Australia/Lord_Howe'];
const START = Date.UTC(2026, 0, 1);
const STEP = 10_000; // a reading every 10 s, so a run sweeps weeks of time per zone
const N = 1_000_000;

function run(name: string, zone: string, fn: (ts: number, zone: string) => unknown): void {
  for (let i = 0; i < 10_000; i++) fn(START + i * STEP, zone); // warm caches and the JIT
  const began = performance.now();
  let sink = 0;
  for (let i = 0; i < N; i++) {
    const r = fn(START + i * STEP, zone);
    if (typeof r === 'number') sink = (sink + r) % 1_000_003;
  }
  const seconds = (performance.now() - began) / 1000;
  const opsPerSecond = Math.round(N / seconds).toLocaleString('en-US');
  console.log(`${name.padEnd(20)} ${zone.padEnd(20)} ${opsPerSecond.padStart(12)} ops/s  (${sink})`);
}

for (const zone of ZONES) run('hourStartOf', zone, hourStartOf);
// Devices in different zones interleaved, the worst case for the last-bucket shortcut.
let turn = 0;
run('hourStartOf', 'mixed zones', (ts) => hourStartOf(ts, ZONES[turn++ % ZONES.length]!));
run('localDateOf', 'Europe/Bucharest', localDateOf);
run('formatIsoWithOffset', 'Europe/Bucharest', formatIsoWithOffset);
