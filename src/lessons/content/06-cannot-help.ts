/** Lesson 6: when the Caretaker cannot help: a stall, the TLB-shootdown cascade it causes, and device interrupts without posting. */
import { entityByName } from '../anchors.ts';
import { bucket, choiceOf, entries, firstStall, fmt, phaseAt, vcpuReport, vmReport } from '../facts.ts';
import type { Lesson, LessonRun } from '../types.ts';

/**
 * The preset `tlb-shootdown-cascade` (vCPU0 rings a virtio-blk doorbell 50 times a second; the
 * guest flushes TLBs 20 times a second), with its passthrough disk changed to one without posted
 * interrupts that interrupts vCPU1 500 times a second (the device of `device-interrupts-held`).
 */
const NVME_NO_PI = { name: 'nvme0', kind: 'passthrough', postedInterrupts: false, interruptsPerSec: 500, vcpu: 1 };
const VIRTIO_BLK = { name: 'virtio-blk0', kind: 'emulated', exit: 'EPT_MISCONFIG', accessesPerSec: 50, vcpus: [0] };
const VM0 = { name: 'vm0', vcpus: 4, pinning: [2, 3, 4, 5], devices: [NVME_NO_PI, VIRTIO_BLK], workload: { profile: 'idle', tlbShootdownsPerSec: 20 } };

const n = (x: number) => x.toLocaleString('en-US');
/** A duration in seconds, two decimals ("8.49 s"). */
const secs = (ns: number) => `${(ns / 1e9).toFixed(2)} s`;
const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)} %`;


/** Time the on/off intervals spend inside [t0, t1]. */
function overlap(flags: { t: number; on: boolean }[], t0: number, t1: number): number {
  let total = 0;
  for (let i = 0; i < flags.length; i++) {
    if (!flags[i].on) continue;
    const end = i + 1 < flags.length ? flags[i + 1].t : t1;
    total += Math.max(0, Math.min(end, t1) - Math.max(flags[i].t, t0));
  }
  return total;
}

/** A vCPU's gap: from its Caretaker's first entry until its adoption began. */
function gapOf(run: LessonRun, vcpu: string): { t0: number; t1: number } {
  const t0 = entries(run, vcpu, 'ORPHANED_RUNNING')[0];
  const t1 = entries(run, vcpu, 'ADOPTING')[0] ?? run.until;
  return { t0, t1 };
}

/**
 * The share of a vCPU's gap in which it made progress: not stalled (ORPHANED_BLOCKED) and not
 * spinning for a TLB-shootdown acknowledgement (the log mirror's waits).
 */
function progressShare(run: LessonRun, vcpu: string): number {
  const { t0, t1 } = gapOf(run, vcpu);
  const ent = entityByName(run, vcpu);
  const waiting = overlap(run.data.waits.get(ent) ?? [], t0, t1);
  const states = (run.data.changes.get(ent) ?? []).map((c) => ({ t: c.t, on: c.state === 'ORPHANED_BLOCKED' }));
  const blocked = overlap(states, t0, t1);
  return Math.max(0, 1 - (waiting + blocked) / (t1 - t0));
}

/** When a vCPU began its first wait of more than a millisecond in its gap, or null. */
function longWait(run: LessonRun, vcpu: string): number | null {
  const { t0, t1 } = gapOf(run, vcpu);
  const w = run.data.waits.get(entityByName(run, vcpu)) ?? [];
  for (let i = 0; i < w.length; i++) {
    if (!w[i].on || w[i].t < t0 || w[i].t > t1) continue;
    const end = i + 1 < w.length ? w[i + 1].t : run.until;
    if (end - w[i].t > 1e6) return w[i].t;
  }
  return null;
}

const STALL_CHOICES = ['EPT_MISCONFIG: a virtio-blk0 doorbell', 'MSR_WRITE/TSC_DEADLINE: a timer write', 'HLT: the idle loop', 'nothing: it runs until adoption'];
const STALL_OF: Record<string, string> = { EPT_MISCONFIG: STALL_CHOICES[0], 'MSR_WRITE/TSC_DEADLINE': STALL_CHOICES[1], HLT: STALL_CHOICES[2] };

const PROGRESS_CHOICES = ['almost all of it (over 90 %)', 'a good part (10 to 90 %)', 'almost none (under 10 %)'];
const HOLD_CHOICES = ['under 1 ms', '1 ms to 1 s', 'over 1 s'];

export const cannotHelp: Lesson = {
  id: 'cannot-help',
  order: 6,
  title: 'When the Caretaker cannot help: stalls, TLB shootdowns, device interrupts',
  goal: 'Say which exits stall a vCPU in the gap, how one stalled vCPU stops the others through TLB shootdowns, and why device interrupts need posting.',
  scenario: { preset: 'tlb-shootdown-cascade', patch: { vms: [VM0] } },
  concepts: ['stall', 'tlb-shootdown', 'posted-interrupts', 'gap', 'fastpath'],
  sources: ['rfc-thread.md Phase F, §5, M8, M10', 'mechanics.md §3.4, §3.6', 'walkthrough.md §5, §7.8, §7.9', 'docs/concepts.md (Guest coupling)', 'docs/exits.md'],
  steps: [
    {
      title: 'A guest that needs its host',
      text: 'vm0 has four vCPUs on CPU 2 to CPU 5. vm0/vCPU0 drives an emulated disk, virtio-blk0: 50 times a second it writes a doorbell, an MMIO access that exits as EPT_MISCONFIG; real KVM usually completes it by signalling an ioeventfd, the lab hands it to the VMM (a userspace mark). The guest flushes TLBs 20 times a second by IPI (arrows between pCPU lanes), and the passthrough disk nvme0, without posted interrupts, interrupts vm0/vCPU1 500 times a second: each an EXTERNAL_INTERRUPT exit into the host.',
      at: { phase: 'preserve', plus: -100_000_000 },
      view: [{ phase: 'preserve', plus: -200_000_000 }, { phase: 'preserve' }],
      highlight: [{ from: { phase: 'preserve', plus: -200_000_000 }, to: { phase: 'preserve' }, lanes: ['vm0/vCPU0', 'vm0/vCPU1'], label: 'doorbells to the VMM, interrupts through the host' }],
    },
    {
      title: 'Predict: what stops vm0/vCPU0?',
      text: 'vm0/vCPU0 is ORPHANED_RUNNING under C2 on CPU 2. Its Caretaker can finish timer writes and HLT alone (lesson 5), but the virtio-blk0 device model lives in the VMM, and the vCPU thread that would return to it left `KVM_RUN` at detach. Paolo Bonzini, the KVM maintainer (M6): "by default everything is a blocking exit" that the fastpaths do not cover.',
      at: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: 1000 },
      view: [{ enter: 'vm0/vCPU0', state: 'DETACHING' }, { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: 2_000_000 }],
      highlight: [{ from: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING' }, to: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: 2_000_000 }, lanes: ['vm0/vCPU0', 'C2'], label: 'alone under C2' }],
      checkpoint: {
        question: 'Which exit will be the first to stall vm0/vCPU0 in the gap?',
        choices: STALL_CHOICES,
        answer: (run) => {
          const s = firstStall(run, 'vm0/vCPU0');
          return s ? choiceOf(STALL_CHOICES, STALL_OF[s.reason] ?? s.reason) : STALL_CHOICES.length - 1;
        },
        reveal: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: 10_000_000 },
        explain: (run) => {
          const s = firstStall(run, 'vm0/vCPU0');
          if (!s) return 'Nothing: no exit of vm0/vCPU0 needed more than its Caretaker could do, so it ran until adoption.';
          const after = fmt(s.t - gapOf(run, 'vm0/vCPU0').t0);
          return s.reason === 'EPT_MISCONFIG'
            ? `EPT_MISCONFIG, ${after} into the gap: the first virtio-blk0 doorbell. The timer writes and HLT exits before it were fastpath marks; MMIO needs a device model, so vm0/vCPU0 is ORPHANED_BLOCKED. Under the minimal PoC policy of Pasha Tatashin, the RFC's author (M10: every exit but HLT blocks, preset \`converged-strict\`), the first timer write would stall it even sooner.`
            : `${s.reason}, ${after} into the gap. Under this policy the Caretaker finishes only HLT, PAUSE and MWAIT (the minimal PoC of Pasha Tatashin, the RFC's author, M10), so the guest's first timer write stalls it long before its first doorbell.`;
        },
        tryIt: { patch: { caretaker: { policy: 'strict' } }, says: "Pasha's PoC policy: every exit but HLT blocks (caretaker.policy: strict)" },
      },
    },
    {
      title: 'A stall: the exit waits for a kernel',
      text: (run) => {
        const s = firstStall(run, 'vm0/vCPU0');
        const how = s ? `vm0/vCPU0 took ${s.reason} at ${fmt(s.t)} and is now ORPHANED_BLOCKED` : 'A stalled vCPU is ORPHANED_BLOCKED';
        return `${how}. C2 keeps the exit pending, RIP still on the trapping instruction, and halts CPU 2 rather than spin (Paolo, M8: during kexec the pCPU halts); it waits with interrupts enabled on its own IDT, so the attach IPI wakes it (the thread does not say how: an ASSUMPTION). The new KVM handles the exit after \`KVM_RUN\`: none is lost (invariant 4). Unmapped memory, port I/O, hypercalls and MSRs outside the fastpath stall alike (docs/exits.md).`;
      },
      at: { enter: 'vm0/vCPU0', state: 'ORPHANED_BLOCKED', plus: 100_000 },
      view: [{ enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING' }, { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: 6_000_000 }],
      highlight: [{ from: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING' }, to: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: 6_000_000 }, lanes: ['vm0/vCPU0', 'CPU 2'], label: 'one doorbell, then nothing' }],
    },
    {
      title: 'Predict: does one stall stay local?',
      text: 'vm0/vCPU1, vm0/vCPU2 and vm0/vCPU3 take no exit their Caretakers cannot finish. But this guest flushes TLBs 20 times a second, and a Linux guest flushes another vCPU\'s TLB by IPI and then spins until every target has acknowledged (`flush_tlb_mm_range()` waits in `smp_call_function_many_cond()`). The IPIs need no Caretaker: with IPIv and posted interrupts, on in this host, they reach a running vCPU without any exit (mechanics.md §3.6).',
      at: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: 5_000_000 },
      view: [{ enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING' }, { enter: 'vm0/vCPU3', state: 'ORPHANED_RUNNING', plus: 15_000_000 }],
      highlight: [{ from: { enter: 'vm0/vCPU1', state: 'ORPHANED_RUNNING' }, to: { enter: 'vm0/vCPU3', state: 'ORPHANED_RUNNING', plus: 15_000_000 }, lanes: ['vm0/vCPU1', 'vm0/vCPU2', 'vm0/vCPU3'], label: 'the other vCPUs, all under their Caretakers' }],
      checkpoint: {
        question: 'Until it is adopted, how much of its gap will vm0/vCPU1 spend making progress?',
        choices: PROGRESS_CHOICES,
        answer: (run) => 2 - bucket(progressShare(run, 'vm0/vCPU1'), [0.1, 0.9]),
        reveal: { enter: 'vm0/vCPU1', state: 'ADOPTING' },
        explain: (run) => {
          const shares = ['vm0/vCPU1', 'vm0/vCPU2', 'vm0/vCPU3'].map((v) => `${v} ${pct(progressShare(run, v))}`).join(', ');
          const w = longWait(run, 'vm0/vCPU1');
          const own = firstStall(run, 'vm0/vCPU1');
          const start = own
            ? `vm0/vCPU1 stalled itself, on ${own.reason} at ${fmt(own.t)}.`
            : w === null ? 'vm0/vCPU1 never waited long: every shootdown it sent was acknowledged within microseconds.' : `At ${fmt(w)} vm0/vCPU1 flushed a TLB and began to spin for vm0/vCPU0's acknowledgement, which came only after vm0/vCPU0 was adopted.`;
          return `${start} Progress over each gap: ${shares}. The spinning vCPUs keep executing, with timer writes still taken as fastpath exits, so the blackout does not see them: the report's \`progressNs\` does (${secs(vcpuReport(run, 'vm0/vCPU1').progressNs)} for vm0/vCPU1 over the whole run of ${secs(run.until)}).`;
        },
        tryIt: { patch: { vms: [{ ...VM0, devices: [NVME_NO_PI] }] }, says: 'the same guest without the virtio-blk0 disk, so vCPU0 never stalls' },
      },
    },
    {
      title: 'Predict: device interrupts with no kernel',
      text: 'Until its detach each nvme0 completion reached vm0/vCPU1 as an EXTERNAL_INTERRUPT exit: the host took the MSI and KVM injected it. In the gap there is no Linux IRQ routing on CPU 3. With VT-d posted interrupts the IOMMU would write the vector straight into the vCPU\'s posted-interrupt descriptor, with no exit and no kernel (rfc-thread.md Phase F, the run in the gap; Pasha, M1); this nvme0 has none, and how the lab treats such a completion is an ASSUMPTION (walkthrough §7.8).',
      at: { enter: 'vm0/vCPU1', state: 'ORPHANED_RUNNING' },
      view: [{ enter: 'vm0/vCPU1', state: 'DETACHING', plus: -20_000_000 }, { enter: 'vm0/vCPU1', state: 'ORPHANED_RUNNING', plus: 5_000_000 }],
      highlight: [{ from: { enter: 'vm0/vCPU1', state: 'DETACHING', plus: -20_000_000 }, to: { enter: 'vm0/vCPU1', state: 'DETACHING' }, lanes: ['vm0/vCPU1'], label: 'nvme0 completions as host exits' }],
      checkpoint: {
        question: 'How long will the longest-waiting nvme0 completion wait before vm0/vCPU1 gets it?',
        choices: HOLD_CHOICES,
        answer: (run) => bucket(vmReport(run).interrupts.longestHoldNs, [1e6, 1e9]),
        reveal: { phase: 'adopted', plus: 1_000_000 },
        explain: (run) => {
          const irq = vmReport(run).interrupts;
          if (irq.held === 0) return `None waited: ${n(irq.posted)} completions were posted by the IOMMU straight into vm0/vCPU1, in the gap as before it, with no exit at all.`;
          return `${n(irq.held)} completions were held in the gap, the first for ${secs(irq.longestHoldNs)}: from vm0/vCPU1's detach until its adoption. vm0/vCPU1 itself never left the guest, but a guest waiting for that I/O waited the whole gap (and ${n(irq.exits)} completions outside the gap each cost an exit).`;
        },
        tryIt: { patch: { vms: [{ ...VM0, devices: [{ ...NVME_NO_PI, postedInterrupts: true }, VIRTIO_BLK] }] }, says: 'nvme0 with VT-d posted interrupts (devices[].postedInterrupts)' },
      },
    },
    {
      title: 'Adoption releases all three',
      text: (run) => {
        const stall = vcpuReport(run, 'vm0/vCPU0').longestStallNs;
        return `The new kernel adopts the vCPUs one by one (ADOPTING) and the new VMM resumes them together: ATTACHED_RUNNING at ${fmt(phaseAt(run, 'adopted'))}. Then VMM′ vm0 completes vm0/vCPU0's pending doorbell, vm0/vCPU0 acknowledges the waiting shootdowns, and the held nvme0 completions are delivered. vm0's blackout is only ${fmt(vmReport(run).blackoutNs)}, but vm0/vCPU0 was stalled for ${secs(stall)} and held the other vCPUs with it. To see each effect alone, try the presets \`emulated-device-stall\`, \`device-interrupts-held\`, \`converged-strict\` or \`amd-svm-idle\`.`;
      },
      at: { phase: 'adopted', plus: 500_000 },
      view: [{ enter: 'vm0/vCPU0', state: 'ADOPTING', plus: -500_000 }, { phase: 'adopted', plus: 1_500_000 }],
      highlight: [{ from: { enter: 'vm0/vCPU0', state: 'ADOPTING' }, to: { phase: 'adopted', plus: 1_500_000 }, lanes: ['vm0/vCPU0', 'vm0/vCPU1', 'vm0/vCPU2', 'vm0/vCPU3'], label: 'adopted: the stall and the waits end' }],
    },
  ],
};
