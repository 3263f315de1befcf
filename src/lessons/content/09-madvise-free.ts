/** Lesson 9: misbehaving userspace: madvise(MADV_FREE) of guest memory while vCPUs run detached, and the MMU notifier's forced exit. */
import { DISP_NAMES, EXIT_IDS } from '../../model/exits.ts';
import { L } from '../../model/eventlog.ts';
import { AnchorError, entityByName } from '../anchors.ts';
import { drained, entries, fmt, ipisOf, phaseAt, vcpuReport, vmReport } from '../facts.ts';
import type { Lesson, LessonRun } from '../types.ts';

/** When the run logged an operation (the `madvise()` call, "pages freed"), or an error naming it. */
function opAt(run: LessonRun, name: string): number {
  const d = run.data;
  for (const i of d.lifecycle) if (d.kind(i) === L.OP && d.str(d.a[i]) === name) return d.t[i];
  throw new AnchorError(`no "${name}" operation in this run`);
}

/** The first exit of `reason` on `vcpu` at or after t0: its instant, disposition and cost. */
function firstExit(run: LessonRun, vcpu: string, reason: string, t0 = 0): { t: number; disp: string; cost: number } {
  const tr = run.data.exits.get(entityByName(run, vcpu));
  const kind = EXIT_IDS.indexOf(reason);
  if (tr) for (let i = tr.lower(t0); i < tr.n; i++) if (tr.kind[i] === kind) return { t: tr.t[i], disp: DISP_NAMES[tr.disp[i]], cost: tr.cost[i] };
  throw new AnchorError(`no ${reason} exit on ${vcpu} after ${fmt(t0)} in this run`);
}


/** Whether invariant 7 (no page freed under a detached vCPU) was broken. */
function freedWhileMapped(run: LessonRun): boolean {
  return run.report.invariants.violations.some((v) => v.id === 7);
}

const FREE_CHOICES = [
  'IPIs CPU 2 and CPU 3 to force each vCPU out of the guest, then frees',
  'frees the pages at once; the detached vCPUs may still reach them',
  'keeps the pages until the new kernel has adopted the vCPUs',
  'nothing: the Caretaker walks its own private copy of the EPT',
];
const TOUCH_CHOICES = ['C2 maps a fresh page itself and the guest runs on', 'it stalls until a kernel adopts it', 'KVM handles it at once, as for any attached vCPU', 'the VM is terminated'];

export const madviseFree: Lesson = {
  id: 'madvise-free',
  order: 9,
  title: 'Misbehaving userspace: MADV_FREE and the forced exit',
  goal: 'Say why the kernel must force a detached vCPU out of the guest before it frees guest memory, how it does, and what the guest pays when it touches that memory again in the gap.',
  scenario: { preset: 'madvise-free' },
  concepts: ['madvise', 'invariants', 'stall', 'gap'],
  sources: [
    'rfc-thread.md Phase E (Paolo, M12), Phase F (EPT violation row; M8), §5 (misbehaving userspace), §6 item 9',
    'walkthrough.md §5, §6.3',
    'design.md §6 (invariants 4, 7)',
    'orphanvm.md §6 (MMU-notifier kicks: not implemented)',
    'docs/timing.md (forcedExit)',
  ],
  steps: [
    {
      title: 'Detached, but the old kernel is still up',
      text: (run) =>
        `Since the preserve, vm0/vCPU0 and vm0/vCPU1 run ORPHANED_RUNNING under C2 and C3 on CPU 2 and CPU 3, but the old kernel stays up until the kexec at ${fmt(phaseAt(run, 'kexec'))}, and VMM vm0 (PRESERVED) still has guest memory mapped. The EPT the Caretakers walk is not a private copy: it stays owned by Linux and is kept coherent with the host's memory map by KVM's MMU notifier (rfc-thread.md Phase F, the run in the gap). Whatever userspace does to that memory now reaches a guest no kernel is watching.`,
      at: { ipi: 'invalidate', plus: -50_000_000 },
      view: [{ enter: 'vm0/vCPU1', state: 'ORPHANED_RUNNING' }, { ipi: 'invalidate' }],
      highlight: [{ from: { enter: 'vm0/vCPU1', state: 'ORPHANED_RUNNING' }, to: { ipi: 'invalidate' }, lanes: ['vm0/vCPU0', 'vm0/vCPU1', 'VMM vm0'], label: 'detached vCPUs, old VMM still alive' }],
    },
    {
      title: 'Predict: userspace frees guest memory',
      text: (run) =>
        `At ${fmt(opAt(run, 'madvise(MADV_FREE)'))} the VMM calls \`madvise(MADV_FREE)\` on a range of guest memory, the example of Paolo Bonzini, the KVM maintainer (M12). Well-behaved userspace would not, but the kernel must survive it. On a memfd \`MADV_FREE\` would fail with \`EINVAL\`; the lab stands it in for any invalidation of VM-mapped memory, such as \`MADV_REMOVE\` or a \`fallocate()\` hole punch (docs/concepts/madvise.md). The host mm calls \`kvm_mmu_notifier_invalidate_range_start()\`, which zaps the SPTEs, yet CPU 2 and CPU 3 may still hold the old translations and no kernel code runs there.`,
      // the fault's own instant (faults[0].at, 1.3 s), so the step also stands in "try it" runs with no IPI at all
      at: { at: 1_299_999_000 },
      view: [{ at: 1_299_985_000 }, { at: 1_300_016_000 }],
      checkpoint: {
        question: 'Before it lets `madvise()` free the pages, what does the kernel do about vm0/vCPU0 and vm0/vCPU1, running detached on CPU 2 and CPU 3?',
        choices: FREE_CHOICES,
        answer: (run) => {
          if (freedWhileMapped(run)) return 1;
          if (ipisOf(run, 'invalidate').length) return 0;
          throw new AnchorError('no vCPU ran detached at the madvise() in this run');
        },
        reveal: { at: 1_300_007_000 },
        explain: (run) => {
          if (freedWhileMapped(run)) {
            return `The pages are freed at ${fmt(opAt(run, 'pages freed'))} with no IPI to CPU 2 or CPU 3: the detached vCPUs may still reach them through translations nobody flushed, and the run reports invariant 7 broken (design.md §6). This is the RFC as first posted; Paolo added the forced exit in M12, and the prototype does not have it yet (orphanvm.md §6).`;
          }
          const ipis = ipisOf(run, 'invalidate');
          return `The notifier sends an invalidate IPI to ${ipis.map((m) => `CPU ${m.to}`).join(' and ')} and frees the pages only once both vCPUs have been forced out of the guest, at ${fmt(opAt(run, 'pages freed'))}. That is invariant 7 (design.md §6): no guest page a detached vCPU may use is freed before that vCPU has been forced out. The RFC as first posted had no such IPI (try it); Paolo added it in M12, and the prototype has not implemented it yet (orphanvm.md §6).`;
        },
        tryIt: { patch: { design: 'rfc-v0' }, says: 'the RFC as first posted (design rfc-v0): no IPI to detached vCPUs' },
      },
    },
    {
      title: 'The forced exit: INVEPT and back in',
      text: (run) => {
        const ex = firstExit(run, 'vm0/vCPU0', 'EXTERNAL_INTERRUPT', ipisOf(run, 'invalidate')[0].sendT);
        return `Each invalidate IPI lands as an EXTERNAL_INTERRUPT exit that the Caretaker takes in its fastpath: it flushes the guest-physical translations with INVEPT and re-enters the guest (${fmt(ex.cost)} per vCPU, in parallel; an ASSUMPTION, docs/timing.md). Nothing else changes: no known state, no offlining, so vm0/vCPU0 and vm0/vCPU1 stay ORPHANED_RUNNING and CPU 2 and CPU 3 stay CARETAKER. It is the same kind of IPI the attach and detach handshakes use, Paolo's point in M12; the notifier returns only once both vCPUs have taken it.`;
      },
      at: { ipi: 'invalidate', nth: 1, edge: 'arrive', plus: 3_000 },
      view: [{ ipi: 'invalidate', plus: -4_000 }, { ipi: 'invalidate', nth: 1, edge: 'arrive', plus: 10_000 }],
      highlight: [
        { from: { ipi: 'invalidate' }, to: { ipi: 'invalidate', nth: 1, edge: 'arrive' }, lanes: ['CPU 2', 'CPU 3'], label: 'invalidate IPIs' },
        { from: { ipi: 'invalidate', nth: 1, edge: 'arrive' }, to: { ipi: 'invalidate', nth: 1, edge: 'arrive', plus: 5_000 }, lanes: ['vm0/vCPU0', 'vm0/vCPU1'], label: 'exit, INVEPT, re-enter' },
      ],
    },
    {
      title: 'Predict: the guest touches the freed range',
      text: (run) => {
        const touch = firstExit(run, 'vm0/vCPU0', 'EPT_VIOLATION', opAt(run, 'madvise(MADV_FREE)'));
        return `The guest was never told its pages went away. ${fmt(touch.t - opAt(run, 'pages freed'))} later vm0/vCPU0 touches the range again; its SPTE is gone, so the access is an EPT_VIOLATION. Attached, KVM would fault a page in through the host mm and the guest would never notice. But vm0/vCPU0 is not attached.`;
      },
      at: { exit: 'EPT_VIOLATION', vcpu: 'vm0/vCPU0' },
      view: [{ ipi: 'invalidate' }, { exit: 'EPT_VIOLATION', vcpu: 'vm0/vCPU0', plus: 2_000_000 }],
      highlight: [{ from: { ipi: 'invalidate' }, to: { exit: 'EPT_VIOLATION', vcpu: 'vm0/vCPU0' }, lanes: ['vm0/vCPU0'], label: 'runs on, SPTEs zapped' }],
      checkpoint: {
        question: 'What happens to vm0/vCPU0 at this EPT_VIOLATION?',
        choices: TOUCH_CHOICES,
        answer: (run) => {
          if (vmReport(run).terminated && !entries(run, 'vm0/vCPU0', 'ATTACHED_RUNNING').slice(1).length) return 3;
          const d = firstExit(run, 'vm0/vCPU0', 'EPT_VIOLATION', opAt(run, 'madvise(MADV_FREE)')).disp;
          return d === 'stalled' ? 1 : d === 'fastpath' ? 0 : 2;
        },
        reveal: { exit: 'EPT_VIOLATION', vcpu: 'vm0/vCPU0', plus: 1_000_000 },
        explain: (run) => {
          const touch = firstExit(run, 'vm0/vCPU0', 'EPT_VIOLATION', opAt(run, 'madvise(MADV_FREE)'));
          if (touch.disp !== 'stalled') {
            return `The touch comes at ${fmt(touch.t)}, after adoption: vm0/vCPU0 is ATTACHED_RUNNING again and the new kernel's KVM handles the EPT_VIOLATION (${touch.disp === 'host' ? 'in the kernel' : `${touch.disp} path`}) like any other fault. The same access in the gap would have stalled the vCPU until adoption.`;
          }
          return `vm0/vCPU0 goes ORPHANED_BLOCKED at ${fmt(touch.t)}. In the gap there is no host mm and no KVM MMU to ask, and nothing updates the EPT (rfc-thread.md Phase F, the run in the gap), so for the Caretaker a new EPT violation is a blocking exit ("by default everything is a blocking exit", Paolo, M6). It keeps the exit pending and halts CPU 2, as Paolo wants during kexec (M8), waiting with interrupts enabled on its own IDT (an ASSUMPTION: the thread does not say how). vm0/vCPU1 is not affected and runs on.`;
        },
        tryIt: { patch: { faults: [{ kind: 'madvise-free', at: '1.3s', vm: 'vm0', touchAfter: '9s' }] }, says: 'the guest touches the freed range 9 s later, after adoption (touchAfter)' },
      },
    },
    {
      title: 'Stalled through the kexec',
      text: (run) =>
        `vm0/vCPU0 stays ORPHANED_BLOCKED while the old kernel freezes the session (FREEZE), stops its other CPUs (STOP_OTHERS) and jumps, and while the new kernel boots: CPU 2 sits halted under C2 with the exit pending, interrupts enabled on the Caretaker's IDT. vm0/vCPU1 runs on through the gap, so the guest as a whole keeps going, but whatever vm0/vCPU0 was doing waits ${fmt(vcpuReport(run, 'vm0/vCPU0').stalledNs)} in all (walkthrough §6.3). The trace rings show it: the new kernel will read ${drained(run, 'vm0/vCPU0').toLocaleString('en-US')} gap records from vm0/vCPU0's ring against ${drained(run, 'vm0/vCPU1').toLocaleString('en-US')} from vm0/vCPU1's.`,
      at: { phase: 'kexec' },
      view: [{ exit: 'EPT_VIOLATION', vcpu: 'vm0/vCPU0', plus: -5_000_000 }, { phase: 'newKernelUp', plus: 100_000_000 }],
      highlight: [{ from: { exit: 'EPT_VIOLATION', vcpu: 'vm0/vCPU0' }, to: { phase: 'newKernelUp', plus: 100_000_000 }, lanes: ['vm0/vCPU0', 'CPU 2'], label: 'stalled: CPU 2 halts' }],
    },
    {
      title: 'Adoption handles the pending exit',
      text: (run) =>
        `The attach IPI wakes the halted CPU 2: there is no guest to force out (no EXTERNAL_INTERRUPT on vm0/vCPU0 this time, unlike vm0/vCPU1's), so C2 goes straight to its known state, STOPPED, and is replaced. After \`KVM_RUN\` at ${fmt(entries(run, 'vm0/vCPU0', 'ATTACHED_RUNNING')[1])}, the new kernel's KVM handles the pending EPT violation like any fault and maps a page again (a punched or reclaimed page reads back as zeroes): no exit is lost (invariant 4). vm0's blackout is still ${fmt(vmReport(run).blackoutNs)}, the adoption window, because vm0/vCPU1 never stopped.`,
      at: { enter: 'vm0/vCPU0', state: 'ATTACHED_RUNNING', nth: 1 },
      view: [{ ipi: 'attach', plus: -20_000 }, { phase: 'adopted', plus: 1_000_000 }],
      highlight: [
        { from: { ipi: 'attach' }, to: { enter: 'C2', state: 'STOPPED' }, lanes: ['C2', 'CPU 2'], label: 'attach IPI to a halted core' },
        { from: { enter: 'vm0/vCPU0', state: 'ADOPTED' }, to: { enter: 'vm0/vCPU0', state: 'ATTACHED_RUNNING', nth: 1 }, lanes: ['vm0/vCPU0'], label: 'adopted; the exit still pending' },
      ],
    },
  ],
};
