/** Lesson 4: Detaching a vCPU, microsecond by microsecond: IPI, known state, offline, INIT/SIPI. */
import { AnchorError, entityByName } from '../anchors.ts';
import { bucket, entered, entries, fmt, ipisOf } from '../facts.ts';
import type { Lesson, LessonRun } from '../types.ts';

const at = fmt;


/** The detach of the vCPU on `cpu`, piece by piece, from the run's records. */
function detachOf(run: LessonRun, cpu = 2, vcpu = 'vm0/vCPU0') {
  const detach = ipisOf(run, 'detach').filter((m) => m.to === cpu);
  if (!detach.length) throw new AnchorError(`no detach IPI to CPU ${cpu} in this run`);
  const delivered = detach.find((m) => m.status === 'delivered');
  if (!delivered) throw new AnchorError(`no detach IPI reached CPU ${cpu}`);
  const sipi = ipisOf(run, 'init-sipi').find((m) => m.to === cpu);
  if (!sipi) throw new AnchorError(`no INIT/SIPI to CPU ${cpu} in this run`);
  const start = entered(run, vcpu, 'DETACHING');
  const parked = entered(run, `C${cpu}`, 'PARKED');
  const offline = entered(run, `CPU ${cpu}`, 'OFFLINE');
  const caretakerAt = entered(run, `CPU ${cpu}`, 'CARETAKER');
  const orphan = entered(run, vcpu, 'ORPHANED_RUNNING');
  return {
    start,
    sent: detach[0].sendT,
    lost: detach.filter((m) => m.status === 'lost').length,
    ipis: detach.length,
    arrived: delivered.arriveT,
    parked,
    offline,
    sipiSent: sipi.sendT,
    sipiArrived: sipi.arriveT,
    entered: caretakerAt,
    orphan,
    /** The four parts of the pause, in order. */
    parts: [parked - detach[0].sendT, offline - parked, sipi.arriveT - sipi.sendT, caretakerAt - sipi.arriveT],
  };
}

const PART_CHOICES = ['the detach IPI and the known state', '`remove_cpu()` taking CPU 2 offline', 'INIT and the two SIPIs', "the Caretaker's entry (VMXON, VMPTRLD, VMLAUNCH)"];

/** How long, during the detaches, no vCPU of the VM executed guest code (exec marks). */
function vmDark(run: LessonRun, vm = 'vm0'): number {
  const vcpus = run.data.entities.map((e, i) => ({ e, i })).filter(({ e }) => e.kind === 'vcpu' && e.name.startsWith(`${vm}/`));
  const starts = vcpus.map(({ e }) => entries(run, e.name, 'DETACHING')[0]).filter((t): t is number => t !== undefined);
  const ends = vcpus.map(({ e }) => entries(run, e.name, 'ORPHANED_RUNNING')[0]).filter((t): t is number => t !== undefined);
  if (!starts.length || !ends.length) throw new AnchorError(`no vCPU of ${vm} detaches in this run`);
  const t0 = Math.min(...starts);
  const t1 = Math.max(...ends);
  const tracks = vcpus.map(({ i }) => run.data.exec.get(i) ?? []);
  const cuts = [...new Set([t0, t1, ...tracks.flat().map((x) => x.t).filter((t) => t > t0 && t < t1)])].sort((a, b) => a - b);
  const onAt = (tr: { t: number; on: boolean }[], t: number) => {
    let on = true;
    for (const x of tr) {
      if (x.t > t) break;
      on = x.on;
    }
    return on;
  };
  let dark = 0;
  for (let k = 0; k + 1 < cuts.length; k++) if (tracks.every((tr) => !onAt(tr, cuts[k]))) dark += cuts[k + 1] - cuts[k];
  return dark;
}

const DARK_CHOICES = ['no: one vCPU always runs while the other detaches', 'yes, for about one detach (a few ms)', 'yes, for longer than one detach'];

export const detaching: Lesson = {
  id: 'detaching',
  order: 4,
  title: 'Detaching: IPI, known state, offline, INIT/SIPI',
  goal: 'Walk through one vCPU detach microsecond by microsecond — detach IPI, known state, `remove_cpu()`, INIT/SIPI into the Caretaker — and say where its 5 ms go.',
  scenario: { preset: 'converged-idle' },
  concepts: ['detach', 'known-state', 'init-sipi', 'caretaker', 'invariants'],
  sources: [
    'rfc-thread.md Phase D [Converged] (M6, M10, M12), Phase E (M4), catalogue of IPIs',
    'walkthrough.md §2 steps 2–6, §7.1 and §7.3',
    'mechanics.md §4.1 (INIT/SIPI, INIT blocked in VMX root), §4.2 (hotplug, kvm_offline_cpu()), §5.3, §7',
    'orphanvm.md §1.2 (kvm_vcpu_arch_ser), §7.3 (re-kick every 1 ms)',
    'docs/timing.md (ipi, knownState, hotplugOffline, initSipi, caretakerEntry)',
  ],
  steps: [
    {
      title: 'Predict: PRESERVE_FD(vcpufd0) sends a detach IPI',
      text: (run) =>
        `At ${at(detachOf(run).start)} the VMM calls \`LIVEUPDATE_SESSION_PRESERVE_FD\` on vcpufd 0, and its \`.preserve()\` is where isolation happens (Pasha Tatashin, the RFC's author, M1 and M10). It checks the opt-in (a \`KVM_ENABLE_CAP\`, as Paolo Bonzini, the KVM maintainer, asked in M12) and that vm0/vCPU0 sits alone on isolated CPU 2; then CPU 0 sends a detach IPI to CPU 2, and vm0/vCPU0 is DETACHING. The call is synchronous, as Paolo asked (M6): features must be negotiated, and the IDT and GDT switched on a CPU in a known state.`,
      at: { ipi: 'detach', nth: 0, plus: 500 },
      view: [{ ipi: 'detach', nth: 0 }, { ipi: 'detach', nth: 0, plus: 20_000 }],
      highlight: [{ from: { ipi: 'detach', nth: 0 }, to: { ipi: 'detach', nth: 0, edge: 'arrive' }, lanes: ['CPU 0', 'CPU 2'], label: 'detach IPI, CPU 0 to CPU 2' }],
      checkpoint: {
        question: 'An IPI takes about 1 µs (mechanics.md §7). How long after this IPI is sent will C2 report its known state (PARKED)?',
        choices: ['under 10 µs', '10 µs to 1 ms', 'over 1 ms'],
        answer: (run) => bucket(detachOf(run).parts[0], [10_000, 1_000_000]),
        reveal: { enter: 'C2', state: 'PARKED', plus: 1000 },
        explain: (run) => {
          const d = detachOf(run);
          const lost = d.lost ? ` ${d.lost} of the ${d.ipis} detach IPIs ${d.lost === 1 ? 'was' : 'were'} lost; each is counted (invariant 6) and the waiting host re-kicks after 1 ms (orphanvm.md §7.3).` : '';
          return `C2 was PARKED ${fmt(d.parts[0])} after the first IPI was sent: ${fmt(d.arrived - d.sent)} until an IPI arrived, then ${fmt(d.parked - d.arrived)} for the exit and the serialization into KHO (the lab's 5 µs known-state ASSUMPTION).${lost}`;
        },
        tryIt: { patch: { faults: [{ kind: 'drop-ipi', at: '1s', cpu: 2, purpose: 'detach' }] }, says: 'the first detach IPI to CPU 2 is lost' },
      },
    },
    {
      title: 'The known state',
      text: (run) =>
        `The IPI lands at ${at(detachOf(run).arrived)} while vm0/vCPU0 is in guest mode, so it is a VM exit — an EXTERNAL_INTERRUPT, taken through KVM's host path (the mark under the lane) — and the vCPU stops executing guest code. C2 brings it to a known state: exited, its state serialized into KHO as \`kvm_vcpu_arch_ser\` (registers, LAPIC, XSAVE area, MSRs, \`kvm_cpuid2\`; orphanvm.md §1.2). Then it gives CPU 2 back to the host: C2 is PARKED at ${at(detachOf(run).parked)} (walkthrough §2 step 3).`,
      at: { ipi: 'detach', nth: 0, edge: 'arrive' },
      view: [{ ipi: 'detach', nth: 0, edge: 'arrive' }, { enter: 'C2', state: 'PARKED' }],
      highlight: [{ from: { ipi: 'detach', nth: 0, edge: 'arrive' }, to: { enter: 'C2', state: 'PARKED' }, lanes: ['vm0/vCPU0', 'C2', 'KHO'], label: 'exit, serialize into KHO' }],
    },
    {
      title: 'Predict: remove_cpu(2), and where the pause goes',
      text: 'Now `remove_cpu(2)` takes CPU 2 from Linux: the vCPU thread leaves `KVM_RUN`, tasks, timers and IRQs migrate away, and `kvm_offline_cpu()` disables VMX on it (mechanics.md §4.2). That last part is needed because INIT is blocked in VMX root operation (mechanics.md §4.1; walkthrough §7.1). CPU 2 will end offline and not present, so the scheduler and host interrupt routing never target it again (Pasha, M4), while vm0/vCPU1 stays ATTACHED_RUNNING on CPU 3.',
      at: { enter: 'C2', state: 'PARKED' },
      view: [{ ipi: 'detach', nth: 0 }, { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: 500_000 }],
      highlight: [{ from: { ipi: 'detach', nth: 0, edge: 'arrive' }, to: { enter: 'C2', state: 'PARKED' }, lanes: ['vm0/vCPU0', 'C2'], label: 'IPI and known state: done' }],
      checkpoint: {
        question: 'vm0/vCPU0 will run no guest code from the IPI until the Caretaker launches it again. Which part of that pause is the longest?',
        choices: PART_CHOICES,
        answer: (run) => {
          const p = detachOf(run).parts;
          return p.indexOf(Math.max(...p));
        },
        reveal: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: 1000 },
        explain: (run) => {
          const d = detachOf(run);
          return `From the IPI's send to VMLAUNCH took ${fmt(d.orphan - d.sent)} (vm0/vCPU0 itself executed nothing for ${fmt(d.orphan - d.arrived)}, from the IPI's arrival at ${at(d.arrived)} to ${at(d.orphan)}): ${fmt(d.parts[0])} of IPI and known state, ${fmt(d.parts[1])} in \`remove_cpu()\` (the lab's ASSUMPTION for a hotplug offline), ${fmt(d.parts[2])} of INIT and two SIPIs (smpboot.c's modern delays, mechanics.md §4.1) and ${fmt(d.parts[3])} of Caretaker entry (ASSUMPTION).${d.parts[1] === Math.max(...d.parts) ? ' The hotplug offline dominates: a faster offline path is where this pause would shrink.' : ''}`;
        },
        tryIt: { patch: { timing: { hotplugOffline: '10us' } }, says: 'a hotplug offline of 10 µs instead of 5 ms (timing.hotplugOffline)' },
      },
    },
    {
      title: 'INIT/SIPI into the Caretaker',
      text: (run) =>
        `Entry is Paolo's addition (M12): after the exit IPI, INIT/SIPI into detached mode. At ${at(detachOf(run).sipiSent)} CPU 0 sends INIT and two STARTUP IPIs to CPU 2, ${fmt(detachOf(run).sipiArrived - detachOf(run).sipiSent)} with modern delays (2 × (10 + 10) µs, mechanics.md §4.1), and CPU 2 starts at the Caretaker's entry instead of Linux's trampoline. C2 loads its own GDT, IDT, page tables and stack, then VMXON, VMPTRLD of vCPU0's VMCS and VMLAUNCH (${fmt(detachOf(run).parts[3])}, an ASSUMPTION): at ${at(detachOf(run).entered)} CPU 2 is CARETAKER, C2 DETACHED and vm0/vCPU0 ORPHANED_RUNNING.`,
      at: { ipi: 'init-sipi', nth: 0 },
      view: [{ ipi: 'init-sipi', nth: 0 }, { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING' }],
      highlight: [
        { from: { ipi: 'init-sipi', nth: 0 }, to: { ipi: 'init-sipi', nth: 0, edge: 'arrive' }, lanes: ['CPU 0', 'CPU 2'], label: 'INIT, SIPI, SIPI' },
        { from: { ipi: 'init-sipi', nth: 0, edge: 'arrive' }, to: { enter: 'C2', state: 'DETACHED' }, lanes: ['C2', 'CPU 2'], label: 'Caretaker entry' },
      ],
    },
    {
      title: 'Predict: vm0/vCPU1 detaches next',
      text: (run) =>
        `Back to just before the first detach IPI, with the whole VM in view. vm0 has two vCPUs, and the VMM preserves their vcpufds in turn, each \`PRESERVE_FD\` synchronous (walkthrough §7.3): the detach you just followed for vm0/vCPU0 on CPU 2, then the same for vm0/vCPU1 on CPU 3 (IPI, known state, \`remove_cpu(3)\`, INIT/SIPI). After the last one the VMM keeps no thread in \`KVM_RUN\`; it exits at the point of no return and LUO keeps its fds.`,
      at: { ipi: 'detach', nth: 0, plus: -100_000 },
      view: [{ enter: 'vm0/vCPU0', state: 'DETACHING' }, { enter: 'VMM vm0', state: 'PRESERVED' }],
      highlight: [
        { from: { enter: 'vm0/vCPU0', state: 'DETACHING' }, to: { enter: 'VMM vm0', state: 'PRESERVED' }, lanes: ['vm0/vCPU0', 'vm0/vCPU1'], label: 'vcpufd 0, then vcpufd 1' },
      ],
      checkpoint: {
        question: 'Between the first detach IPI and the moment C3 launches vm0/vCPU1, will there be an instant when no vCPU of vm0 executes guest code?',
        choices: DARK_CHOICES,
        answer: (run) => bucket(vmDark(run), [1, 1.5 * (detachOf(run).orphan - detachOf(run).arrived)]),
        reveal: { enter: 'VMM vm0', state: 'PRESERVED', plus: 1000 },
        explain: (run) => {
          const dark = vmDark(run);
          const v1 = entityByName(run, 'vm0/vCPU1') >= 0;
          return dark === 0
            ? `No: vm0/vCPU0 was back in the guest at ${at(entered(run, 'vm0/vCPU0', 'ORPHANED_RUNNING'))}${v1 ? `, before vm0/vCPU1 took its detach IPI at ${at(ipisOf(run, 'detach').filter((m) => m.to === 3)[0]?.arriveT ?? NaN)}` : ''}. Each vCPU pauses ${fmt(detachOf(run).orphan - detachOf(run).arrived)}, but the windows never overlap, so the detaches add nothing to the VM's blackout (walkthrough §2); a 1-vCPU VM would lose all of its detach window time.`
            : `Yes: for ${fmt(dark)} no vCPU of vm0 executed guest code. A VM whose only vCPU detaches loses the whole window (walkthrough §2: a 1-vCPU VM gets 5,049,000 ns).`;
        },
        tryIt: {
          patch: { vms: [{ name: 'vm0', vcpus: 1, pinning: [2], memory: 'prefaulted', devices: [{ name: 'nvme0', kind: 'passthrough', postedInterrupts: true }], workload: 'idle' }] },
          says: 'a 1-vCPU VM',
        },
      },
    },
  ],
};
