// The invariant checks can fail: each one reports a corrupted or misbehaving run, with its id.
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/model/engine/engine.ts';
import { INVARIANT_TEXT } from '../src/model/invariants.ts';
import { presetScenario, resolve, runPreset } from './helpers.ts';

function engineAt(id: string, t: number): Engine {
  const e = new Engine(resolve(presetScenario(id)));
  e.runUntil(t);
  return e;
}

describe('invariant checks', () => {
  it('names all ten invariants of design.md §6', () => {
    expect(Object.keys(INVARIANT_TEXT).map(Number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('run after every lifecycle event: hundreds of checks in the default run, none failing', () => {
    const r = runPreset('converged-idle').report();
    expect(r.invariants.checked).toBeGreaterThan(500);
    expect(r.invariants.violations).toEqual([]);
  });

  it('1: a pCPU whose owner disagrees with its state is reported', () => {
    const e = engineAt('converged-idle', 5e9);
    e.st.pcpus[2].owner = 'host'; // CPU 2 is under its Caretaker in the gap
    e.checkAll();
    expect(e.st.violations.map((v) => [v.id, v.message])).toContainEqual([1, 'CPU 2 is CARETAKER but owned by host']);
  });

  it('2: a vCPU executing on a pCPU its Caretaker does not own is reported', () => {
    const e = engineAt('converged-idle', 5e9);
    e.st.pcpus[3].vcpu = 0; // CPU 3 claims vCPU0, which runs on CPU 2
    e.st.pcpus[2].vcpu = 1;
    e.checkAll();
    expect(e.st.violations.map((v) => v.id)).toEqual([2, 2]);
  });

  it('5: a lost trace record is reported', () => {
    const e = engineAt('converged-idle', 5e9);
    e.st.hot.ringFill[0] -= 1;
    e.checkAll();
    expect(e.st.violations.map((v) => v.id)).toEqual([5]);
  });

  it('4: a stalled exit that disappears is reported at the end', () => {
    const e = engineAt('emulated-device-stall', 5e9);
    expect(e.st.vcpus[0].stallKind).toBeGreaterThanOrEqual(0);
    e.st.vcpus[0].stallKind = -1; // the pending exit vanishes without being handled
    e.runUntil(e.st.sc.until);
    expect(e.st.violations.map((v) => v.id)).toContain(4);
  });

  it('6 and 8 are checked on the paths that could break them', () => {
    const wedged = runPreset('wedged-cpu').report();
    expect(wedged.invariants.violations).toEqual([]);
    expect(wedged.invariants.checked).toBeGreaterThan(2000); // every lost re-kick is checked
  });

  it('10: reading a region KHO never carried is reported', () => {
    const e = engineAt('converged-idle', 9.599e9);
    e.st.kho = e.st.kho.filter((r) => !r.key.startsWith('mem:'));
    e.runUntil(e.st.sc.until);
    expect(e.st.violations.map((v) => v.message)).toContain('the new kernel read mem:vm0 from KHO, which the old kernel did not preserve');
  });
});
