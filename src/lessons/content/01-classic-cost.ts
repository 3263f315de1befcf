/** Lesson 1: what a live update costs today (the classic flow) and why the guest waits. */
import { bucket, fmt, phaseAt, vmReport } from '../facts.ts';
import type { Lesson } from '../types.ts';

const BLACKOUT_CHOICES = ['under 10 ms', '10 ms to 1 s', '1 s to 5 s', 'over 5 s'];

export const classicCost: Lesson = {
  id: 'classic-cost',
  order: 1,
  title: 'What live update costs today',
  goal: 'Say why a guest is frozen for the whole kexec gap in a live update today, and how long that is.',
  scenario: { preset: 'classic-baseline' },
  concepts: ['classic', 'kexec', 'luo-kho'],
  sources: ['mechanics.md §1, §7', 'walkthrough.md §4', 'rfc-thread.md §1'],
  steps: [
    {
      title: 'A guest running on Linux',
      text: 'Before the update, vm0/vCPU0 and vm0/vCPU1 are ATTACHED_RUNNING: the VMM\'s vCPU threads sit in `KVM_RUN` on CPU 2 and CPU 3, and every exit is handled by KVM in the host kernel (the host marks under each vCPU lane). The kernel K owns every pCPU: they are ONLINE, which their lanes label "Linux (K)".',
      at: { phase: 'preserve', plus: -500_000_000 },
      view: [{ at: 0 }, { phase: 'preserve' }],
      highlight: [{ from: { at: 0 }, to: { phase: 'preserve' }, lanes: ['vm0/vCPU0', 'vm0/vCPU1'], label: 'the guest runs under KVM' }],
    },
    {
      title: 'The VMM suspends the VM and preserves it',
      text: 'To update, the VMM stops its vCPU threads (they leave `KVM_RUN`: the vCPUs are SUSPENDED) and hands guest memory, the vmfd and the vcpufds to a LUO session (`LIVEUPDATE_SESSION_PRESERVE_FD`). VMM vm0 is PRESERVING, then PRESERVED. From here on the guest executes nothing.',
      at: { phase: 'preserve', plus: 1000 },
      view: [{ phase: 'preserve', plus: -20_000_000 }, { phase: 'kexec', plus: 20_000_000 }],
      highlight: [{ from: { phase: 'preserve' }, to: { phase: 'kexec' }, lanes: ['vm0/vCPU0', 'vm0/vCPU1', 'VMM vm0', 'LUO session vm0'], label: 'preserved while suspended' }],
    },
    {
      title: 'Predict: how long will the guest stay suspended?',
      text: 'Now the old kernel K freezes the sessions and finalizes KHO (FREEZE), then sends a stop IPI to CPUs 1–7 with `smp_send_stop()` (STOP_OTHERS on the K lane; each pCPU lane turns STOPPED, drawn as "stopped by `smp_send_stop()`") and jumps into the new kernel. Nothing can run the guest until a new kernel has booted and a new VMM has retrieved the VM.',
      at: { phase: 'kexec', plus: 1_000_000 },
      view: [{ phase: 'preserve', plus: -100_000_000 }, { phase: 'kexec', plus: 100_000_000 }],
      highlight: [
        { from: { enter: 'K (old kernel)', state: 'FREEZE' }, to: { phase: 'kexec' }, lanes: ['K (old kernel)'], label: 'freeze, stop the others, jump' },
        { from: { ipi: 'stop' }, to: { phase: 'kexec', plus: 50_000_000 }, lanes: ['CPU 1', 'CPU 2', 'CPU 3', 'CPU 4', 'CPU 5', 'CPU 6', 'CPU 7'], label: 'stop IPIs: CPUs 1–7' },
      ],
      checkpoint: {
        question: 'From the moment the VMM suspended it, how long will vm0 go without executing a single guest instruction?',
        choices: BLACKOUT_CHOICES,
        answer: (run) => bucket(vmReport(run).blackoutNs, [10e6, 1e9, 5e9]),
        reveal: { phase: 'adopted', plus: 1_000_000 },
        tryIt: { patch: { timing: { kexecGap: '2s' } }, says: 'a host that reboots in 2 s instead of 8 s (timing.kexecGap)' },
        explain: (run) =>
          `vm0's blackout in this run is ${fmt(vmReport(run).blackoutNs)}: from the preserve at ${fmt(phaseAt(run, 'preserve'))} until the new VMM's first \`KVM_RUN\` at ${fmt(phaseAt(run, 'adopted'))}. Most of it is the kexec gap, ${fmt(phaseAt(run, 'newKernelUp') - phaseAt(run, 'kexec'))} from the jump to the new kernel's userspace (mechanics.md §7: 7.6 s for a host reboot in Hy-FiX).`,
      },
    },
    {
      title: 'The new kernel boots',
      text: 'The new kernel K′ goes through EARLY_BOOT and SMP_INIT while the guest waits: it reads what KHO handed over (KHO is HANDED_OVER, then RESTORED) and brings the CPUs back up. Booting a kernel is seconds of work no guest can hide.',
      at: { phase: 'newKernelUp' },
      view: [{ phase: 'kexec', plus: -200_000_000 }, { phase: 'newKernelUp', plus: 200_000_000 }],
      highlight: [{ from: { phase: 'kexec' }, to: { phase: 'newKernelUp' }, lanes: ['K′ (new kernel)', 'KHO'], label: 'the kexec gap' }],
    },
    {
      title: 'The new VMM retrieves the VM and resumes it',
      text: (run) =>
        `The new VMM (VMM′ vm0) starts, opens the LUO session, retrieves memory, vmfd and vcpufds (RETRIEVING) and calls \`KVM_RUN\`: the vCPUs are ATTACHED_RUNNING again at ${fmt(phaseAt(run, 'adopted'))}. Then it finishes the session. The guest lost ${fmt(vmReport(run).blackoutNs)} of wall-clock time; its clock jumped and every timer it had armed fired late.`,
      at: { phase: 'adopted', plus: 1_000_000 },
      view: [{ phase: 'newKernelUp', plus: -20_000_000 }, { phase: 'finish', plus: 20_000_000 }],
      highlight: [{ from: { phase: 'newKernelUp' }, to: { phase: 'adopted' }, lanes: ['VMM′ vm0', 'LUO session vm0'], label: 'retrieve, then `KVM_RUN`' }],
    },
  ],
};
