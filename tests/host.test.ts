// The simulation host behind SimClient: log deltas rebuild the engine's log exactly, also across
// backward seeks; another design's report equals running the scenario under that design.
import { describe, expect, it } from 'vitest';
import { inProcessClient } from '../src/sim/inProcess.ts';
import { toRaw } from '../src/sim/host.ts';
import type { Have, LogDelta } from '../src/sim/protocol.ts';
import { presetScenario, resolve, runRaw } from './helpers.ts';
import { PRESETS } from '../src/model/presets.ts';

class Mirror {
  t: number[] = [];
  ks: number[] = [];
  strings: string[] = [];
  entities: string[] = [];
  have(): Have {
    return { events: this.t.length, strings: this.strings.length, entities: this.entities.length };
  }
  ingest(d: LogDelta) {
    for (let i = 0; i < d.t.length; i++) {
      const j = d.base + i;
      if (j < this.t.length) {
        expect(this.t[j]).toBe(d.t[i]); // a re-run after a backward seek repeats the same records
        continue;
      }
      this.t.push(d.t[i]);
      this.ks.push(d.ks[i]);
    }
    this.strings.push(...d.strings.slice(this.strings.length - d.stringBase));
    this.entities.push(...d.entities.slice(this.entities.length - d.entityBase).map((e) => e.name));
  }
}

describe('SimHost over SimClient', () => {
  it('deltas rebuild the whole log; a backward seek re-runs to identical records', async () => {
    const c = inProcessClient();
    const loaded = await c.load(presetScenario('converged-idle'));
    expect(loaded.ok).toBe(true);
    const m = new Mirror();
    for (const t of [1e9, 1.2e9, 5e9, 12e9]) m.ingest((await c.runUntil(t, m.have())).delta!);
    const ref = runRaw(presetScenario('converged-idle'));
    expect(m.t.length).toBe(ref.log.length);
    expect(m.strings).toEqual(ref.log.strings);
    expect(m.entities).toEqual(ref.raw.st.ents.map((e) => e.name));
    const back = await c.seek(3e9, m.have());
    expect(back.delta!.length).toBeLessThan(m.t.length);
    expect(back.snapshot.now).toBe(3e9);
    m.ingest((await c.runUntil(12e9, { events: back.delta!.length, strings: m.strings.length, entities: m.entities.length })).delta!);
    expect(m.t.length).toBe(ref.log.length);
    const rep = await c.report();
    expect(rep.engine.eventLogHash).toBe(ref.report().engine.eventLogHash);
  });

  it('reports the same scenario under classic, as a classic run of it gives', async () => {
    const c = inProcessClient();
    await c.load(presetScenario('tlb-shootdown-cascade'));
    const classic = await c.report('classic');
    const direct = runRaw({ ...toRaw(resolve(presetScenario('tlb-shootdown-cascade')), 'classic') }).report();
    expect(classic).toEqual(direct);
    expect(classic.vms[0].blackoutNs).toBeGreaterThan(8e9);
    expect((await c.report('converged')).engine.nowNs).toBe(0); // the loaded run has not advanced
  });

  it('toRaw loses nothing: every preset, and a measured workload shape, resolve to the same scenario again', () => {
    const raws = [...PRESETS.map((p) => p.scenario), { version: 1, vms: [{ name: 'vm0', vcpus: 1, workload: { rates: { HLT: 100 }, interArrival: [0, 3, 9] } }] }];
    for (const raw of raws) {
      const sc = resolve(raw);
      expect(resolve(toRaw(sc)), sc.title).toEqual(sc);
    }
  });

  it('a bad scenario returns every error and keeps nothing running', async () => {
    const c = inProcessClient();
    const r = await c.load({ version: 1, vms: [] });
    expect(r).toEqual({ ok: false, errors: [{ path: '$.vms', message: 'expected an array of 1 to 16 items, got 0' }] });
    await expect(c.runUntil(1)).rejects.toThrow('no scenario loaded');
  });
});
