// `npm run bench`: engine throughput on the 64-vCPU scenario against a bare heap loop (same PRNG,
// same queue, no model) measured in the same run, their ratio, and event log bytes per event.
// Budgets from design.md §7. A benchmark prints figures; it is not a test.
import { createQueue, replaceTop, push } from '../src/base/heap.ts';
import { nextExpNs, nextFloat, seedPrng } from '../src/base/prng.ts';
import { parseScenario } from '../src/model/scenario.ts';
import { Simulation } from '../src/sim/simulation.ts';
import { L } from '../src/model/eventlog.ts';
import { presetById } from '../src/model/presets.ts';

const BENCH_64 = presetById('bench-64x20k')!.scenario as { title: string };

const now = () => performance.now();

function engineRun() {
  const r = parseScenario(BENCH_64);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const sim = new Simulation(r.scenario);
  const t0 = now();
  sim.runUntil(r.scenario.until);
  const ms = now() - t0;
  const log = sim.log;
  let exits = 0;
  for (let i = 0; i < log.length; i++) if (log.kind(i) === L.EXIT) exits++;
  return { ms, exits, events: log.length, bytes: log.bytes(), hash: log.digest() };
}

/** The same queue and PRNG work per exit, no model: pop the earliest vCPU, draw a reason and the next time. */
function baseline(events: number) {
  const q = createQueue(128);
  const prng = seedPrng(1);
  const mean = 1e9 / 19_700;
  for (let v = 0; v < 64; v++) push(q, nextExpNs(prng, mean), 0, v, 0);
  let sink = 0;
  const t0 = now();
  for (let i = 0; i < events; i++) {
    const t = q.time[0];
    const v = q.a[0];
    sink += nextFloat(prng) < 0.7 ? 1 : 2;
    replaceTop(q, t + 480 + nextExpNs(prng, mean), 0, v, 0);
  }
  const ms = now() - t0;
  if (sink < 0) console.log(sink);
  return { ms };
}

const runs = Number(process.env.BENCH_RUNS ?? 3);
let best: ReturnType<typeof engineRun> | null = null;
let bestBase = Infinity;
for (let i = 0; i < runs; i++) {
  const e = engineRun();
  if (!best || e.ms < best.ms) best = e;
  const b = baseline(e.exits);
  if (b.ms < bestBase) bestBase = b.ms;
}
const e = best!;
const engineRate = e.exits / (e.ms / 1000);
const baseRate = e.exits / (bestBase / 1000);
const ratio = engineRate / baseRate;
const bpe = e.bytes / e.events;
const row = (name: string, value: string, budget: string, ok: boolean) => console.log(`${name.padEnd(38)} ${value.padStart(16)}   budget ${budget.padEnd(12)} ${ok ? 'ok' : 'OVER'}`);
console.log(`engine bench: ${BENCH_64.title}, ${e.exits.toLocaleString('en')} exits, ${e.events.toLocaleString('en')} events (best of ${runs}); hash ${e.hash}`);
row('engine throughput (exits/s)', `${(engineRate / 1e6).toFixed(2)} M/s`, '≥ 10 M/s', engineRate >= 10e6);
row('bare heap loop, same PRNG and queue', `${(baseRate / 1e6).toFixed(2)} M/s`, '—', true);
row('engine / baseline', ratio.toFixed(3), '≥ 0.6', ratio >= 0.6);
row('event log bytes per event', bpe.toFixed(1), '≤ 32', bpe <= 32);
row('simulated time per wall second', `${(6 / (e.ms / 1000)).toFixed(1)} s/s`, '—', true);
