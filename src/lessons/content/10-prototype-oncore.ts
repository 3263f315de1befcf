/** Lesson 10: The prototype: oncore M:N, cb->state, reclaim and quarantine. */
import { AnchorError } from '../anchors.ts';
import { bucket, entries, fmt, ipisOf, phaseAt, timeIn, vcpuReport } from '../facts.ts';
import type { Lesson, LessonRun } from '../types.ts';


/** The share of the kexec gap (jump to new kernel's userspace) a vCPU spent executing under the Caretaker. */
function gapShare(run: LessonRun, vcpu: string): number {
  const t0 = phaseAt(run, 'kexec');
  const t1 = phaseAt(run, 'newKernelUp');
  return timeIn(run, vcpu, 'CARETAKER_RUNNING', t0, t1) / (t1 - t0);
}

const VCPUS = ['vm0/vCPU0', 'vm0/vCPU1', 'vm0/vCPU2', 'vm0/vCPU3'];
const CBS = VCPUS.map((v) => `cb ${v}`);
const JOBS = VCPUS.map((v) => `job ${v}`);

/** When the guest first ran under a Caretaker, after the VMM suspended it. */
function preserveWindow(run: LessonRun): { from: number; to: number } {
  const from = Math.min(...VCPUS.map((v) => entries(run, v, 'PAUSED_IN_VMM')[0]));
  const to = Math.min(...VCPUS.map((v) => entries(run, v, 'CARETAKER_RUNNING')[0] ?? Infinity));
  return { from, to };
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

const SHARE_CHOICES = ['under a third of it', 'between a third and two thirds', 'over two thirds of it'];
const RECLAIM_CHOICES = ['fast: one `cmpxchg` from PAUSED, no IPI', 'slow: a kick, then a wait until the vCPU serializes itself', 'it times out after 2 s and the vCPU is quarantined'];

/** How the host took vm0/vCPU3 back: 0 fast, 1 slow, 2 quarantined. */
function reclaimPath(run: LessonRun): number {
  if (entries(run, 'vm0/vCPU3', 'QUARANTINED').length) return 2;
  if (entries(run, 'cb vm0/vCPU3', 'STOPPING').length) return 1;
  return 0;
}

export const prototypeOncore: Lesson = {
  id: 'prototype-oncore',
  order: 10,
  title: 'The prototype: oncore M:N, cb->state, reclaim and quarantine',
  goal: 'Explain how the prototype time-slices M vCPUs over N preserved CPUs, what `cb->state` records at each quantum, and how the new kernel reclaims a vCPU — fast, slow, or not at all.',
  scenario: { preset: 'rfcv1-4-on-2' },
  concepts: ['oncore', 'cb-state', 'cpu-preserved', 'quarantine', 'known-state', 'adoption'],
  sources: ['orphanvm.md §1.1, §1.3a–c, §1.4 (steps 7–8, 19–23), §2, §7.2–7.4', 'docs/concepts.md (The prototype)', 'src/model/presets.ts (rfcv1-4-on-2, rfcv1-lost-park-kick, rfcv1-wedged-cpu)'],
  steps: [
    {
      title: 'CPUs become LUO files, vCPUs become jobs',
      text: (run) => {
        const w = preserveWindow(run);
        return `The prototype (RFCv1, orphanvm.md §1.4) first pulls every vCPU thread out of \`KVM_RUN\` with \`vm_suspend()\`: PAUSED_IN_VMM since ${fmt(w.from)}. Then \`PRESERVE_FD\` on \`/sys/devices/system/cpu/cpuN/preserve\` takes CPU 2 and CPU 3 out by ordinary hotplug (OFFLINE); instead of dying, each parks on a KHO stack, hidden by \`set_cpu_present(false)\` (PARKED), and runs the \`oncore\` worker (WORKLOAD). Each vcpufd's \`PRESERVE_FD\` submits its vCPU as an \`oncore_job\`: the guest runs again ${fmt(w.to - w.from)} after the suspend, a pause whose length the lab must assume (orphanvm.md §7.6).`;
      },
      at: { enter: 'CPU 3', state: 'WORKLOAD' },
      view: [{ enter: 'CPU 2', state: 'OFFLINE', plus: -2_000_000 }, { enter: 'vm0/vCPU3', state: 'CARETAKER_RUNNING', plus: 2_000_000 }],
      highlight: [
        { from: { enter: 'CPU 2', state: 'OFFLINE', plus: -2_000_000 }, to: { enter: 'vm0/vCPU0', state: 'CARETAKER_RUNNING' }, lanes: VCPUS, label: 'suspended by the VMM' },
        { from: { enter: 'CPU 2', state: 'OFFLINE' }, to: { enter: 'CPU 3', state: 'WORKLOAD' }, lanes: ['CPU 2', 'CPU 3'], label: 'hotplug out, park, start the oncore worker' },
      ],
    },
    {
      title: 'Predict: four jobs on two CPUs',
      text: 'Each job went to the least-loaded preserved CPU with its control block\'s `cb->state` at PAUSED. The session has one FIFO runqueue: a CPU takes a job (`cmpxchg` PAUSED → RUNNING), runs it until its quantum expires (`oncore.quantum_ms`, 10 ms by default, orphanvm.md §2) or the guest idles while another job waits, then puts it back at the tail. Under "oncore jobs" the job lanes show RUNNING while a job holds a CPU and RUNNABLE while it waits; the `cb` lanes show `cb->state`.',
      at: { phase: 'kexec' },
      view: [{ phase: 'kexec', plus: -60_000_000 }, { phase: 'kexec', plus: 60_000_000 }],
      highlight: [{ from: { phase: 'kexec', plus: -60_000_000 }, to: { phase: 'kexec', plus: 60_000_000 }, lanes: JOBS, label: 'four oncore jobs, two CPUs' }],
      checkpoint: {
        question: 'The old kernel has just jumped to the new one; CPU 2 and CPU 3 keep running the four jobs. Over the kexec gap, what share of the time will vm0/vCPU0 spend CARETAKER_RUNNING?',
        choices: SHARE_CHOICES,
        answer: (run) => bucket(gapShare(run, 'vm0/vCPU0'), [1 / 3, 2 / 3]),
        reveal: { phase: 'kexec', plus: 100_000_000 },
        explain: (run) => {
          const gap = phaseAt(run, 'newKernelUp') - phaseAt(run, 'kexec');
          const shares = VCPUS.map((v) => gapShare(run, v));
          const sum = shares.reduce((a, b) => a + b, 0);
          return `vm0/vCPU0 ran ${pct(shares[0])} of the ${fmt(gap)} gap; the four vCPUs together got ${sum.toFixed(2)} CPUs' worth of it (${shares.map(pct).join(', ')}). M jobs on N CPUs share N CPUs: the prototype's own "8 vCPUs on 1 pCPU" run reached about the aggregate of 2 vCPUs on 2 (STATUS: 4,554 vs 4,544 passes/s, orphanvm.md §7.4), each vCPU getting an eighth. With a CPU per vCPU nothing waits, and a job keeps its CPU for the whole gap.`;
        },
        tryIt: {
          patch: { vms: [{ name: 'vm0', vcpus: 4, pinning: [2, 3, 4, 5], devices: [{ name: 'nvme0', kind: 'passthrough', postedInterrupts: true }], workload: { profile: 'cpu-bound', rates: { EOI_INDUCED: 0, EXCEPTION_NMI: 0 } } }] },
          says: 'four preserved CPUs for the four vCPUs (pinning 2-5): M = N',
        },
      },
    },
    {
      title: 'Every quantum end serializes the vCPU',
      text: (run) => {
        const t = VCPUS.map((v) => vcpuReport(run, v).telemetry);
        if (t.some((x) => !x)) throw new AnchorError('no rfcv1 telemetry in this run');
        const migrations = t.reduce((a, x) => a + x!.migrations, 0);
        return `A quantum ends with the VMX preemption timer (a PREEMPTION_TIMER exit); a HLT while others wait yields early (\`ONCORE_EXIT_YIELD_IDLE\`). Either way \`detach_serialize()\` flushes the vCPU's state into \`arch_state\` before the CPU publishes PAUSED, so a PAUSED vCPU always has a complete serialized state ("proactive serialization", orphanvm.md §1.3a). The report's \`telemetry\`: vm0/vCPU0 ran ${t[0]!.total_runs.toLocaleString('en-US')} times (\`total_runs\`), ${t[0]!.preemptions.toLocaleString('en-US')} ended by its quantum (\`preemptions\`); the four jobs changed CPU only ${migrations.toLocaleString('en-US')} times (\`migrations\`), as \`oncore_sched_pick_next()\` prefers a job whose \`preferred_cpu\` is this CPU.`;
      },
      at: { phase: 'kexec', plus: 2_060_000_000 },
      view: [{ phase: 'kexec', plus: 2_000_000_000 }, { phase: 'kexec', plus: 2_060_000_000 }],
      highlight: [{ from: { phase: 'kexec', plus: 2_000_000_000 }, to: { phase: 'kexec', plus: 2_060_000_000 }, lanes: [...CBS, 'vm0/vCPU0'], label: 'cb RUNNING ⇄ PAUSED' }],
    },
    {
      title: 'Predict: how is a vCPU taken back?',
      text: 'In the new kernel the new VMM (VMM′ vm0, STARTING) will retrieve the vmfd, then each vcpufd. Each vcpufd retrieve calls `kvm_caretaker_wait_for_attach()`, which must see that vCPU\'s `cb->state` reach stopped before `arch_state` can be restored into the new `kvm_vcpu`. What it does depends on what it finds in the control block, and the jobs are still being time-sliced on CPU 2 and CPU 3 right now.',
      at: { ipi: 'park', plus: -1_000_000 },
      view: [{ ipi: 'park', plus: -40_000_000 }, { enter: 'LUO session vm0', state: 'FINISHED' }],
      highlight: [{ from: { ipi: 'park', plus: -40_000_000 }, to: { ipi: 'park' }, lanes: [...JOBS, 'CPU 2', 'CPU 3'], label: 'still time-slicing' }],
      checkpoint: {
        question: 'How will the new kernel take back vm0/vCPU3?',
        choices: RECLAIM_CHOICES,
        answer: reclaimPath,
        reveal: { enter: 'LUO session vm0', state: 'FINISHED' },
        explain: (run) => {
          const path = reclaimPath(run);
          const stopping = entries(run, 'cb vm0/vCPU3', 'STOPPING')[0];
          if (path === 2) {
            const wedged = entries(run, 'CPU 3', 'WEDGED')[0];
            const quarantined = entries(run, 'vm0/vCPU3', 'QUARANTINED')[0];
            const kicks = ipisOf(run, 'attach').filter((m) => m.to === 3).length;
            return `CPU 3 wedged at ${fmt(wedged)} with vm0/vCPU3 on it, so its cb stayed RUNNING. The retrieve at ${fmt(stopping)} moved it to STOPPING with a \`cmpxchg\` and kicked CPU 3 — ${kicks.toLocaleString('en-US')} kicks in all, one about every 1 ms — but nothing serialized the vCPU. After ${fmt(quarantined - stopping)} (\`KVM_CARETAKER_ATTACH_TIMEOUT_US\`) the kernel gave up without forcing STOPPED: it logged "caretaker attach handshake timed out … quarantining vCPU" and returned \`-ETIMEDOUT\` (orphanvm.md §1.3a), and the lab terminated the VM. Its other vCPUs, PAUSED, had each been taken back with a single \`cmpxchg\`.`;
          }
          const park = ipisOf(run, 'park')[0].sendT;
          const stopped = entries(run, 'cb vm0/vCPU3', 'STOPPED')[0];
          if (path === 1) return `vm0/vCPU3's cb was still RUNNING at its retrieve (${fmt(stopping)}): the kernel moved it to STOPPING with a \`cmpxchg\`, kicked its CPU, and polled until the Caretaker serialized the vCPU and published STOPPED, ${fmt(stopped - stopping)} later — the slow reclaim (orphanvm.md §1.3a).`;
          return `First the vmfd retrieve parked both CPUs (${fmt(park)}, next step), and every job published PAUSED. So vm0/vCPU3's retrieve at ${fmt(stopped)} took it with one \`cmpxchg(PAUSED → STOPPED)\` and no IPI: the "0 ns reclaim" (orphanvm.md §1.3a). Only a cb still RUNNING (a park kick lost on a CPU whose job runs on: preset rfcv1-lost-park-kick) takes the slow path: \`cmpxchg\` to \`STOPPING\`, an NMI kick to \`cb->pcpu_id\`, then polling every 10 µs with a re-kick about every 1 ms until the CPU serializes and publishes STOPPED. If no answer comes within \`KVM_CARETAKER_ATTACH_TIMEOUT_US\` (2 s), the kernel never forces the state: it logs "caretaker attach handshake timed out … quarantining vCPU" and returns \`-ETIMEDOUT\` — try it.`;
        },
        tryIt: { patch: { faults: [{ kind: 'wedge-cpu', at: '5s', cpu: 3 }] }, says: 'CPU 3 wedges at 5 s, in the middle of the gap (fault wedge-cpu)' },
      },
    },
    {
      title: 'The vmfd retrieve parks every CPU',
      text: (run) =>
        `The new VMM (VMM′ vm0, RETRIEVING) retrieved the vmfd first: \`kvm_caretaker_vm_pre_retrieve()\` calls \`cpu_preserved_detach_workload()\` for each preserved CPU, setting it back to PARKED and sending an NMI kick. The job running on each CPU exits, serializes and publishes PAUSED, and the CPU drops into \`cpu_preserved_park_loop()\`. From here the guest is stopped: the prototype's real downtime begins (orphanvm.md §1.4 step 19).${reclaimPath(run) === 0 ? ' Each vcpufd retrieve then found its cb PAUSED and took it with one `cmpxchg`.' : ''}`,
      at: { ipi: 'park', plus: 10_000 },
      view: [{ ipi: 'park', plus: -1_000_000 }, { ipi: 'park', plus: 2_000_000 }],
      highlight: [{ from: { ipi: 'park' }, to: { ipi: 'park', plus: 1_000_000 }, lanes: ['CPU 2', 'CPU 3', ...CBS], label: '`detach_workload`: PARKED, kick, cb PAUSED' }],
    },
    {
      title: 'The CPUs come back at FINISH, then KVM_RUN',
      text: (run) => {
        const unpreserve = 'each CPU file\'s `.finish` runs `cpu_unpreserve()` — `cpu_signal_exit()` (EXITING) and a kick, the CPU leaves its loop, `cpu_wait_dead()`, `set_cpu_present(true)`, `add_cpu()` (ONLINE)';
        const resume = entries(run, 'vm0/vCPU0', 'KVM_RUN')[1];
        if (resume === undefined) return `Here the VM did not come back: with vm0 terminated, \`LIVEUPDATE_SESSION_FINISH\` still gives the CPUs back — ${unpreserve}.`;
        const park = ipisOf(run, 'park')[0].sendT;
        const w = preserveWindow(run);
        return `With every vCPU restored, NanoVMM calls \`LIVEUPDATE_SESSION_FINISH\` at once: ${unpreserve}. Only then do the new VMM's threads call \`KVM_RUN\`: the guest was stopped ${fmt(resume - park)} from the park kick to here, and ${fmt(w.to - w.from)} at the preserve. Those two windows, not the ${fmt(phaseAt(run, 'newKernelUp') - phaseAt(run, 'kexec'))} kexec gap, are what this guest lost (orphanvm.md §7.6; the lab's durations for them are ASSUMPTIONS, docs/timing.md).`;
      },
      at: { enter: 'LUO session vm0', state: 'FINISHED' },
      view: [{ enter: 'cb vm0/vCPU0', state: 'STOPPED', plus: -1_000_000 }, { enter: 'LUO session vm0', state: 'FINISHED', plus: 1_000_000 }],
      highlight: [{ from: { enter: 'CPU 2', state: 'EXITING', plus: -2_000_000 }, to: { enter: 'LUO session vm0', state: 'FINISHED' }, lanes: ['CPU 2', 'CPU 3'], label: '`cpu_unpreserve()`: EXITING, `add_cpu()`' }],
    },
  ],
};
