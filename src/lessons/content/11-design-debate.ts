/** Lesson 11: The design debate: a CCB shim, a built-in Caretaker, KVM_RUN_ASYNC. */
import { AnchorError } from '../anchors.ts';
import { bucket, entries, fmt, ipisOf, phaseAt, vcpuReport, vmReport } from '../facts.ts';
import type { Lesson, LessonRun } from '../types.ts';

/** vm0/vCPU0's doorbell exit while detached (or, under async-run, while no VMM holds the fds). */
const DOORBELL = (plus: number) => ({ exit: 'EPT_MISCONFIG', vcpu: 'vm0/vCPU0', gapOnly: true, plus });

const design = (run: LessonRun) => run.report.scenario.design;

const WAIT_CHOICES = ['under 1 ms', '1 ms to 1 s', 'over 1 s'];
const STATE_CHOICES = ['current: serialized at the retrieve, after a forced exit', 'stale: serialized at the preserve, before the gap changed it', 'none: the VM cannot be retrieved'];

/** The RFC's telemetry buffer of a vCPU (rfc-v0 only). */
function telemetryBuffer(run: LessonRun, vcpu: string) {
  const t = vcpuReport(run, vcpu).telemetryBuffer;
  if (!t) throw new AnchorError(`no rfc-v0 telemetry buffer for ${vcpu} in this run`);
  return t;
}

/** Invariant 3 (known state) breached for this vCPU: the new kernel read state the gap had changed. */
function staleRead(run: LessonRun, vcpu: string) {
  return run.report.invariants.violations.find((v) => v.id === 3 && v.message.startsWith(`${vcpu}'s`));
}

export const designDebate: Lesson = {
  id: 'design-debate',
  order: 11,
  title: 'The design debate: a CCB shim, a built-in Caretaker, KVM_RUN_ASYNC',
  goal: 'Say what the original RFC proposed (a Caretaker installed at VM creation, a CCB flag, spin-waits), why the thread moved to a built-in Caretaker with synchronous handshakes, and what `KVM_RUN_ASYNC` staging changes.',
  scenario: { preset: 'rfc-v0-spin-wait' },
  concepts: ['rfc-v0', 'async-run', 'caretaker', 'detach', 'stall', 'known-state', 'adoption'],
  sources: [
    'rfc-thread.md §1 (M1, M2, M4, M6–M12)',
    'rfc-thread.md §2 Phases A, D, F, H [RFC] and [Converged]; "Variant — the same flow without kexec"',
    'rfc-thread.md §4 items 2, 3, 10',
    'docs/concepts.md (The original RFC, A VMM upgrade without kexec)',
    'docs/exits.md (rfc-v0)',
  ],
  steps: [
    {
      title: 'A Caretaker installed at VM creation',
      text: 'In the original RFC (Pasha Tatashin, M1) the VMM hands each new vcpufd a Caretaker ELF with `KVM_SET_CARETAKER`; KVM loads it with a shared Caretaker Control Block (CCB) and points `HOST_RIP` at it. Every exit of vm0/vCPU0 and vm0/vCPU1 then lands first in its Caretaker (lanes C2 and C3); with the CCB flag at KVM_ATTACHED, what it does not handle goes on to KVM via the CCB\'s routing pointers. Alexander Graf (Amazon, M2) objected to userspace code in host mode: build it into KVM, attach it only around an update.',
      at: { phase: 'preserve', plus: -100_000_000 },
      view: [{ at: 0 }, { phase: 'preserve' }],
      highlight: [{ from: { at: 0 }, to: { phase: 'preserve' }, lanes: ['C2', 'C3'], label: 'the shim, attached since VM creation' }],
    },
    {
      title: 'Detach in place: the CCB flag',
      text: '`LIVEUPDATE_SESSION_PRESERVE_FD` on a vcpufd is the RFC\'s moment of isolation: the flag becomes KVM_DETACHED, the VMCS host-state fields point at the Caretaker\'s own IDT, GDT and page tables, and CPU 2 becomes CARETAKER in place, offline to the OS (no scheduler, no interrupt routing) without hotplug teardown or INIT/SIPI. The lab gets there with one detach IPI, an ASSUMPTION (M1 does not say how). The thread converged on a synchronous handshake (Paolo Bonzini, the KVM maintainer, M6, M12): IPI, offline, INIT/SIPI.',
      at: { enter: 'C2', state: 'KVM_DETACHED' },
      view: [{ ipi: 'detach', plus: -10_000 }, { enter: 'C3', state: 'KVM_DETACHED', plus: 10_000 }],
      highlight: [{ from: { ipi: 'detach' }, to: { enter: 'C3', state: 'KVM_DETACHED' }, lanes: ['C2', 'C3', 'CPU 2', 'CPU 3'], label: 'flag flipped, pCPU taken in place' }],
    },
    {
      title: 'Predict: a doorbell nobody can answer',
      text: (run) =>
        design(run) === 'async-run'
          ? "vm0/vCPU0 drives an emulated virtio-net device: its doorbell write is an MMIO access that exits as an EPT misconfiguration, and only a device model can act on it (real KVM usually completes it by signalling an ioeventfd the VMM's model waits on). Here no kernel goes down: the VMM has moved each vCPU into a kernel thread with `KVM_RUN_ASYNC` and is about to hand its fds to a new VMM process and exit."
          : `vm0/vCPU0 drives an emulated virtio-net device: its doorbell write is an MMIO access that exits as an EPT misconfiguration, and only a device model can act on it (real KVM usually completes it by signalling an ioeventfd the VMM's model waits on). The old kernel and VMM are both still alive (the kexec comes at ${fmt(phaseAt(run, 'kexec'))}), but vm0/vCPU0 is detached now (ORPHANED_RUNNING).`,
      at: DOORBELL(-1_000_000),
      view: [DOORBELL(-5_000_000), DOORBELL(2_000_000)],
      highlight: [{ from: DOORBELL(0), to: DOORBELL(2_000_000), lanes: ['vm0/vCPU0', 'C2'], label: 'the doorbell exit' }],
      checkpoint: {
        question: 'How long will vm0/vCPU0 wait before its EPT_MISCONFIG exit is handled?',
        choices: WAIT_CHOICES,
        answer: (run) => bucket(vcpuReport(run, 'vm0/vCPU0').longestStallNs, [1e6, 1e9]),
        reveal: { phase: 'adopted', plus: 1_000_000 },
        explain: (run) => {
          const waited = fmt(vcpuReport(run, 'vm0/vCPU0').longestStallNs);
          if (design(run) === 'async-run')
            return `It waited ${waited}: its \`vhost_task\` scheduled out on the doorbell until the new VMM had the fds and had rebuilt its device models (adopted at ${fmt(phaseAt(run, 'adopted'))}), while vm0/vCPU1 ran on and the kernel handled every other exit as usual. These are the first two of Paolo's four layers (M8: \`KVM_RUN_ASYNC\`, fd hand-over to a new mm, ASI, kexec (de)serialization); David Woodhouse (M9) saw in them alone a seamless VMM upgrade, with kexec as "the holy grail".`;
          const tb = telemetryBuffer(run, 'vm0/vCPU0');
          const released = entries(run, 'C2', 'KVM_ATTACHED')[1];
          return `It waited ${waited}. Host routing saw KVM_DETACHED and put C2 into SPIN_WAIT, polling the CCB flag, with CPU 2 busy through the whole kexec; only the flag flip at the vcpufd retrieve, at ${fmt(released)}, released it, and the new KVM handled the exit (rfc-thread.md Phase F, the gap, as the RFC has it). The RFC's telemetry buffer recorded the block: \`spinWaitExitReason\` ${tb.spinWaitExitReason}, ${fmt(tb.spinWaitNs)} spun. Paolo Bonzini, the KVM maintainer (M8), would halt the pCPU during a kexec instead, and outside kexec make the detached vCPU a \`vhost_task\` that schedules out on a blocking exit: \`KVM_RUN_ASYNC\`, the first of his four layers (then fd hand-over to a new mm, ASI, kexec), which David Woodhouse (M9) noted already gives a seamless VMM upgrade — try it.`;
        },
        tryIt: { patch: { design: 'async-run' }, says: "Paolo's first layers instead: `KVM_RUN_ASYNC` and a VMM hand-over, no kexec (design async-run)" },
      },
    },
    {
      title: 'Through the kexec, on the RFC\'s fast path',
      text: (run) => {
        const tb = telemetryBuffer(run, 'vm0/vCPU1');
        const handled = Object.values(tb.handled).reduce((a, b) => a + b, 0);
        return `The old kernel stops its other CPUs (STOP_OTHERS) and jumps, but \`smp_send_stop()\` skips CPU 2 and CPU 3, which the run logs as preserved and not present: they stay with their Caretakers (Pasha, M4). vm0/vCPU1 runs on: its Caretaker acknowledges MSR_WRITE/TSC_DEADLINE writes and takes HLT itself (the RFC halts the core until the next guest interrupt), while C2 is still in SPIN_WAIT. By its retrieve, vm0/vCPU1's telemetry buffer (the RFC's counters per exit reason) holds ${handled.toLocaleString('en-US')} exits handled natively (${Object.entries(tb.handled).map(([k, n]) => `${n.toLocaleString('en-US')} \`${k}\``).join(', ')}).`;
      },
      at: { phase: 'kexec' },
      view: [{ phase: 'kexec', plus: -40_000_000 }, { phase: 'kexec', plus: 40_000_000 }],
      highlight: [{ from: { phase: 'kexec', plus: -40_000_000 }, to: { phase: 'kexec', plus: 40_000_000 }, lanes: ['vm0/vCPU1', 'C3'], label: 'the guest runs through the jump' }],
    },
    {
      title: 'Predict: what does the new kernel read?',
      text: (run) =>
        design(run) === 'rfc-v0'
          ? "In the new kernel VMM′ vm0 (RETRIEVING) has the session, guest memory and the vmfd back; the vcpufds come next, one by one. Under the RFC each vcpufd's `.retrieve()` writes new routing pointers into the CCB, flips the flag back to `KVM_ATTACHED` and brings the pCPU back online, for the new kernel. Then the new kernel builds its own `struct kvm_vcpu` for that vCPU."
          : "In the new kernel VMM′ vm0 (RETRIEVING) has the session, guest memory and the vmfd back; the vcpufds come next, one by one. In the converged design each vcpufd retrieve sends an attach IPI to the vCPU's pCPU and waits for its Caretaker before the new kernel takes the vCPU over.",
      at: { enter: 'vm0/vCPU0', state: 'ATTACHED_RUNNING', nth: 1, plus: -10_000 },
      view: [{ enter: 'VMM′ vm0', state: 'RETRIEVING' }, { phase: 'finish' }],
      highlight: [{ from: { enter: 'vm0/vCPU0', state: 'ATTACHED_RUNNING', nth: 1, plus: -100_000 }, to: { enter: 'vm0/vCPU1', state: 'ATTACHED_RUNNING', nth: 1 }, lanes: ['C2', 'C3', 'vm0/vCPU0', 'vm0/vCPU1'], label: 'the vcpufd retrieves' }],
      checkpoint: {
        question: 'When the new kernel builds its `struct kvm_vcpu` for vm0/vCPU1, how current is the state it reads?',
        choices: STATE_CHOICES,
        answer: (run) => (staleRead(run, 'vm0/vCPU1') ? 1 : vmReport(run).terminated ? 2 : 0),
        reveal: { enter: 'vm0/vCPU1', state: 'ATTACHED_RUNNING', nth: 1, plus: 10_000 },
        explain: (run) => {
          const v = staleRead(run, 'vm0/vCPU1');
          const blackout = fmt(vmReport(run).blackoutNs);
          if (!v) {
            const attach = ipisOf(run, 'attach').find((m) => m.to === 3);
            const kick = attach ? `The attach IPI to CPU 3 at ${fmt(attach.sendT)} forced vm0/vCPU1 out of the guest; ` : '';
            return `Current. ${kick}its Caretaker serialized it and reached a known state before the new kernel restored it, installed its own Caretaker and brought the pCPU back (M6, M10, M12). The price is a short pause: vm0's blackout in this run is ${blackout}, against a few hundred nanoseconds under the RFC.`;
          }
          const detached = entries(run, 'C3', 'KVM_DETACHED')[0];
          return `Stale. The lab flags invariant 3 (known state) at ${fmt(v.atNs)}: "${v.message}". The RFC serializes a vCPU once, in \`PRESERVE_FD\` (here at ${fmt(detached)}), yet its Caretaker kept changing timer, APIC and MSR state for the whole gap. That is why Paolo wanted attach and detach synchronous and IPI-driven (M6, M12): the converged design kicks the pCPU, waits for its Caretaker to exit and serialize, and only then restores the vCPU — a blackout of about 1.06 ms (docs/concepts.md) instead of this run's ${blackout}, but a correct vCPU. Switch the design to see it.`;
        },
        tryIt: { patch: { design: 'converged' }, says: 'the design the thread converged on: a built-in Caretaker and a synchronous attach handshake (design converged)' },
      },
    },
    {
      title: 'Where the thread went',
      text: 'After its retrieve C2 reads KVM_ATTACHED again: the old kernel\'s Caretaker, loaded by the old VMM, stays in the exit path under the new kernel for good. Paolo (M6) called the ELF scheme "-EOVERENGINEERED": build the Caretaker into KVM like Arm nVHE and let each new kernel bring its own, so only the KHO format must stay stable. Pasha agreed (M10); his minimal PoC blocks on every exit while detached, one isolated pCPU per vCPU (M10, M11). The thread ended with Paolo\'s reply (M12), and no patches.',
      at: { phase: 'finish' },
      view: [{ enter: 'C2', state: 'KVM_ATTACHED', nth: 1, plus: -1_000_000 }, { phase: 'finish', plus: 1_000_000 }],
      highlight: [{ from: { enter: 'C2', state: 'KVM_ATTACHED', nth: 1 }, to: { phase: 'finish' }, lanes: ['C2', 'C3'], label: 'the old shim stays' }],
    },
  ],
};
