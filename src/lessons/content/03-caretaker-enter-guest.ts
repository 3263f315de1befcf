/** Lesson 3: The Caretaker as the non-preemptible part of vcpu_enter_guest(): the same loop, attached and detached. */
import { entityByName } from '../anchors.ts';
import { EXIT_IDS } from '../../model/exits.ts';
import { bucket, entered, exitsIn, fmt, phaseAt, vcpuReport } from '../facts.ts';
import type { Lesson, LessonRun } from '../types.ts';

const at = fmt;
const n = (x: number) => x.toLocaleString('en-US');
const pct = (x: number) => `${Math.round(x * 100)} %`;


/** vm0/vCPU0's exits while attached, before the update: how many the fastpath finished in the loop. */
function attachedMix(run: LessonRun) {
  const e = exitsIn(run, 0, phaseAt(run, 'preserve'), 'vm0/vCPU0');
  const fast = e.byDisp.fastpath ?? 0;
  return { ...e, fast, share: e.total ? fast / e.total : 0 };
}

const SHARE_CHOICES = ['under 25 %', '25 to 50 %', '50 to 75 %', 'over 75 %'];

const HLT_CHOICES = ['they still go to a host kernel', 'C2 skips them and re-enters the guest (fastpath)', 'they stall the vCPU until a kernel adopts it', 'there are none: HLT no longer exits'];

/** The mean cost of vm0/vCPU0's HLT exits in the gap (ns), from the exit marks. */
function gapHltCost(run: LessonRun): number {
  const tr = run.data.exits.get(entityByName(run, 'vm0/vCPU0'));
  const kind = EXIT_IDS.indexOf('HLT');
  let n = 0;
  let sum = 0;
  for (let i = 0; tr && i < tr.n; i++) if (tr.kind[i] === kind && tr.gap[i]) (n++, (sum += tr.cost[i]));
  return n ? Math.round(sum / n) : 0;
}

/** What happens to vm0/vCPU0's HLT exits in the gap, as an index of HLT_CHOICES. */
function gapHlt(run: LessonRun): number {
  const h = vcpuReport(run, 'vm0/vCPU0').gapExits.HLT;
  if (!h || h.total === 0) return 3;
  const byDisp = [h.host + h.userspace, h.fastpath, h.stalled];
  return byDisp.indexOf(Math.max(...byDisp));
}

const byReason = (r: Record<string, number>) =>
  Object.entries(r)
    .sort((a, b) => b[1] - a[1])
    .map(([k, c]) => `${n(c)} ${k}`)
    .join(', ');

export const caretakerEnterGuest: Lesson = {
  id: 'caretaker-enter-guest',
  order: 3,
  title: 'The Caretaker: the non-preemptible part of vcpu_enter_guest()',
  goal: 'Explain the converged Caretaker as the IRQs-off loop of `vcpu_enter_guest()` built into KVM, what changes when it runs detached with its own IDT, GDT, page tables and stack, and how a new kernel replaces it.',
  scenario: { preset: 'converged-idle' },
  concepts: ['caretaker', 'fastpath', 'detach', 'gap', 'kexec', 'adoption'],
  sources: [
    'rfc-thread.md M6, M10–M12; §2 Phase A, B, D, F, H [Converged]; §4 items 2, 3, 13, 17, 20',
    'mechanics.md §3.1–3.3 (vcpu_enter_guest(), fastpath return codes, vmx_exit_handlers_fastpath()), §3.5',
    'walkthrough.md §2 steps 3–5, 7, 9, 13; §5',
    'docs/exits.md (attached and gap dispositions)',
    'docs/concepts.md "The Caretaker"',
  ],
  steps: [
    {
      title: 'Predict: attached, inside vcpu_enter_guest()',
      text: 'Before the update vm0/vCPU0 is ATTACHED_RUNNING under the old KVM and C2, its Caretaker, is ATTACHED. The thread converged on a Caretaker built into KVM like Arm nVHE (Paolo Bonzini, KVM maintainer, M6; Pasha Tatashin, the RFC\'s author, M10): on x86, "the non-preemptible part of `vcpu_enter_guest()`" (Paolo, M12), the IRQs-off loop around VMRESUME. Exits its fastpath finishes (MSR_WRITE/TSC_DEADLINE re-arms the VMX preemption timer, PREEMPTION_TIMER injects the timer) re-enter the guest at once; HLT and EXTERNAL_INTERRUPT leave the loop for KVM\'s outer exit path with IRQs on (the host marks).',
      at: { phase: 'preserve', plus: -950_000_000 },
      view: [{ at: 0 }, { phase: 'preserve' }],
      highlight: [{ from: { at: 0 }, to: { phase: 'preserve', plus: -950_000_000 }, lanes: ['vm0/vCPU0', 'C2'], label: 'fastpath and host exits, attached' }],
      checkpoint: {
        question: 'Over this whole first second, until the update starts, what share of vm0/vCPU0\'s exits will that loop finish by itself (fastpath), without ever leaving it?',
        choices: SHARE_CHOICES,
        answer: (run) => bucket(attachedMix(run).share, [0.25, 0.5, 0.75]),
        reveal: { phase: 'preserve' },
        explain: (run) => {
          const m = attachedMix(run);
          return `${pct(m.share)}: of vm0/vCPU0's ${n(m.total)} exits before the preserve at ${at(phaseAt(run, 'preserve'))} (${byReason(m.byReason)}), ${n(m.fast)} took the fastpath and ${n(m.total - m.fast)} went to the host. This is the blueprint Paolo pointed at (M6): \`vmx_exit_handlers_fastpath()\` already finishes TSC-deadline writes and preemption-timer expiries with IRQs off (mechanics.md §3.3), so what the Caretaker does in the gap is mostly what this loop does every day.`;
        },
        tryIt: {
          patch: { vms: [{ name: 'vm0', vcpus: 2, pinning: [2, 3], memory: 'prefaulted', devices: [{ name: 'nvme0', kind: 'passthrough', postedInterrupts: true }], workload: 'ipi-heavy' }] },
          says: 'a scheduler-heavy guest (workload ipi-heavy): IPIv absorbs its ICR writes and HLT dominates',
        },
      },
    },
    {
      title: 'Detached: the same loop, its own surroundings',
      text: (run) =>
        `Detaching changes not the loop's body but its surroundings: "the address space, the IDT and so on" (Paolo, M12). C2 is PARKED at ${at(entered(run, 'C2', 'PARKED'))} (the vCPU exited, its state in KHO); once CPU 2 is OFFLINE ("offline: nobody"), INIT/SIPI enters the Caretaker: its own GDT, IDT, page tables and stack, then VMXON, VMPTRLD, VMLAUNCH. C2 is DETACHED at ${at(entered(run, 'C2', 'DETACHED'))} and CPU 2 CARETAKER ("Caretaker C2 (K's version)"): no scheduler, tick or host IRQ routing; its IDT parks or logs a stray NMI or machine check.`,
      at: { enter: 'C2', state: 'PARKED' },
      view: [{ enter: 'vm0/vCPU0', state: 'DETACHING' }, { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: 1_000_000 }],
      highlight: [
        { from: { enter: 'C2', state: 'PARKED' }, to: { enter: 'C2', state: 'DETACHED' }, lanes: ['C2', 'CPU 2'], label: 'known state, offline, INIT/SIPI' },
        { from: { enter: 'C2', state: 'DETACHED' }, to: { enter: 'C2', state: 'DETACHED', plus: 1_000_000 }, lanes: ['C2', 'vm0/vCPU0'], label: 'own GDT, IDT, page tables, stack' },
      ],
    },
    {
      title: 'Predict: HLT with no kernel behind',
      text: 'HLT is the exit Paolo singled out (M6): this loop runs with IRQs off and cannot block, so an attached HLT must go out to the scheduler, as the host HLT marks still under the attached vm0/vCPU1 show. Now C2 runs vm0/vCPU0 with no kernel to hand anything to.',
      at: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: 1000 },
      view: [{ enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: -1_000_000 }, { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: 10_000_000 }],
      highlight: [{ from: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING' }, to: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: 10_000_000 }, lanes: ['vm0/vCPU0'], label: 'vCPU0 under C2' }],
      checkpoint: {
        question: 'What happens at vm0/vCPU0\'s HLT exits now that C2 runs it detached?',
        choices: HLT_CHOICES,
        answer: gapHlt,
        reveal: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: 10_000_000 },
        explain: (run) => {
          const h = vcpuReport(run, 'vm0/vCPU0').gapExits.HLT;
          const seen = h && h.total ? `In this run C2 handled ${n(h.total)} HLT exits of vm0/vCPU0 in the gap: ${n(h.fastpath)} skipped through the fastpath (${fmt(gapHltCost(run))} each: 1,200 cycles at 2.5 GHz, docs/timing.md), ${n(h.stalled)} stalled.` : 'In this run vm0/vCPU0 took no HLT exit in the gap: the intercept is off, and a halted guest halts the pCPU in guest mode (mechanics.md §3.5).';
          return `${seen} Skipping is Pasha's choice for the PoC (M10); Paolo (M12) would rather disable the idle intercepts, as \`KVM_CAP_X86_DISABLE_EXITS\` already does for dedicated pCPUs: in the lab, \`caretaker.hlt: disable-intercepts\` turns off HLT, PAUSE and MWAIT exiting (docs/scenario.md).`;
        },
        tryIt: { patch: { caretaker: { hlt: 'disable-intercepts' } }, says: "Paolo's alternative (M12): HLT, PAUSE and MWAIT intercepts disabled in the Caretaker's VMCS" },
      },
    },
    {
      title: 'Across the jump, with no kernel at all',
      text: (run) =>
        `At the point of no return (${at(phaseAt(run, 'kexec'))}) K is in STOP_OTHERS: \`smp_send_stop()\` stops CPU 1 and CPUs 4–7 (STOPPED) but skips CPU 2 and CPU 3, which \`remove_cpu()\` left offline and not present (the run logs \`play_dead()\`). The boot CPU jumps, KHO is HANDED_OVER, K′ starts in EARLY_BOOT. C2 stays DETACHED, re-entering the guest from pages preserved through KHO, which the new kernel's boot cannot overwrite. From the jump to the new kernel's userspace, C2 alone handles ${n(exitsIn(run, phaseAt(run, 'kexec'), phaseAt(run, 'newKernelUp'), 'vm0/vCPU0').total)} exits of vm0/vCPU0.`,
      at: { phase: 'kexec', plus: 1000 },
      view: [{ phase: 'kexec', plus: -2_000_000 }, { phase: 'kexec', plus: 2_000_000 }],
      highlight: [
        { from: { phase: 'kexec' }, to: { phase: 'kexec', plus: 2_000_000 }, lanes: ['CPU 2', 'CPU 3', 'C2', 'C3'], label: 'skipped by smp_send_stop()' },
        { from: { ipi: 'stop' }, to: { phase: 'kexec', plus: 2_000_000 }, lanes: ['CPU 1', 'CPU 4', 'CPU 5', 'CPU 6', 'CPU 7'], label: 'stopped' },
      ],
    },
    {
      title: 'Replaced by the new kernel\'s Caretaker',
      text: (run) =>
        `The Caretaker is updated "via kexec" (Paolo, M6; Pasha agreed). At ${at(entered(run, 'vm0/vCPU0', 'ADOPTING'))} \`RETRIEVE_FD(vcpufd0)\` sends the attach IPI; C2 exits, serializes, does VMCLEAR and VMXOFF and stops (STOPPED; CPU 2 OFFLINE). The new kernel restores the vCPU from KHO and installs its own Caretaker in C2's place, where C2's lane ends (vm0/vCPU0 ADOPTED at ${at(entered(run, 'vm0/vCPU0', 'ADOPTED'))}); then \`add_cpu(2)\` brings CPU 2 back ONLINE, to K′. Only the KHO format must stay stable between the two kernels, not the host-to-Caretaker interface (Paolo, M12).`,
      at: { enter: 'vm0/vCPU0', state: 'ADOPTING' },
      view: [{ enter: 'vm0/vCPU0', state: 'ADOPTING' }, { enter: 'CPU 2', state: 'ONLINE', nth: 1 }],
      highlight: [
        { from: { enter: 'C2', state: 'STOPPED' }, to: { enter: 'vm0/vCPU0', state: 'ADOPTED' }, lanes: ['C2', 'vm0/vCPU0', 'KHO'], label: 'old Caretaker out, new one in' },
        { from: { enter: 'vm0/vCPU0', state: 'ADOPTED' }, to: { enter: 'CPU 2', state: 'ONLINE', nth: 1 }, lanes: ['CPU 2'], label: '`add_cpu(2)`' },
      ],
    },
  ],
};
