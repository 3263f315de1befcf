/** Lesson 5: life in the gap: the exits a Caretaker finishes alone, HLT, and timers per architecture. */
import { bucket, choiceOf, entries, exitsIn, firstStall, fmt, vcpuReport, vmReport } from '../facts.ts';
import type { Lesson, LessonRun } from '../types.ts';

/**
 * The default idle VM, with two things added so the gap shows every fastpath the thread names:
 * the guest also sends x2APIC IPIs (200 a second) and executes CPUID (20 a second), and the host
 * has IPI virtualization turned off, so those ICR writes exit (with IPIv they never would).
 */
const VM0 = {
  name: 'vm0',
  vcpus: 2,
  pinning: [2, 3],
  memory: 'prefaulted',
  devices: [{ name: 'nvme0', kind: 'passthrough', postedInterrupts: true }],
  workload: { profile: 'idle', rates: { 'MSR_WRITE/X2APIC_ICR': 200, CPUID: 20 } },
};

const n = (x: number) => x.toLocaleString('en-US');

/** Gap exits of a vCPU by reason, from the report (the whole gap). */
function gap(run: LessonRun, vcpu: string, reason: string): number {
  return vcpuReport(run, vcpu).gapExits[reason]?.total ?? 0;
}

/** Exits the Caretaker finished alone (fastpath) and exits that stalled, over a vCPU's gap. */
function gapTotals(run: LessonRun, vcpu: string): { handled: number; stalled: number } {
  let handled = 0;
  let stalled = 0;
  for (const c of Object.values(vcpuReport(run, vcpu).gapExits)) {
    handled += c.fastpath;
    stalled += c.stalled;
  }
  return { handled, stalled };
}


/** The instant vCPU `vcpu` left the gap (its adoption began), or the run's end. */
function gapEnd(run: LessonRun, vcpu: string): number {
  return entries(run, vcpu, 'ADOPTING')[0] ?? run.until;
}

const STALL_CHOICES = ['no: it runs through the whole gap', 'yes: at its first TSC-deadline write', 'yes: at its first x2APIC ICR write', 'yes: at its first HLT'];
const STALL_OF: Record<string, string> = {
  'MSR_WRITE/TSC_DEADLINE': STALL_CHOICES[1],
  'MSR_WRITE/X2APIC_ICR': STALL_CHOICES[2],
  HLT: STALL_CHOICES[3],
};

const TOP_CHOICES = ['MSR_WRITE/TSC_DEADLINE', 'HLT', 'MSR_WRITE/X2APIC_ICR', 'PREEMPTION_TIMER', 'CPUID'];
const DOMINANT_AT = { enter: 'vm0/vCPU1', state: 'ORPHANED_RUNNING', plus: 50_000_000 };

const HLT_CHOICES = ['none: HLT never exits', 'fewer than 1,000', '1,000 to 10,000', 'more than 10,000'];

/** The instant of the dominant-exit checkpoint's cursor (kept in step with DOMINANT_AT). */
function dominantFrom(run: LessonRun): number {
  return entries(run, 'vm0/vCPU1', 'ORPHANED_RUNNING')[0] + DOMINANT_AT.plus;
}

function kexecAt(run: LessonRun): number {
  const p = run.data.phases.find((x) => x.name === 'kexec');
  return p ? p.t : run.until;
}

export const lifeInTheGap: Lesson = {
  id: 'life-in-the-gap',
  order: 5,
  title: 'Life in the gap: fastpath exits, HLT and timers',
  goal: 'Say which guest exits a Caretaker finishes alone in the kexec gap, why HLT is skipped rather than handled, and why timers work on Intel but stall on AMD.',
  scenario: { preset: 'converged-idle', patch: { host: { features: { ipiv: false } }, vms: [VM0] } },
  concepts: ['gap', 'fastpath', 'timers', 'caretaker', 'posted-interrupts'],
  sources: ['rfc-thread.md Phase F, M6, M10, M12', 'mechanics.md §3.3, §3.5, §3.6, §5.5', 'walkthrough.md §1, §5, §7.5', 'docs/exits.md', 'docs/timing.md (workload idle)'],
  steps: [
    {
      title: 'Alone on the core',
      text: 'The detach of lesson 4 is done for vm0/vCPU0: CPU 2 is in state CARETAKER (its lane reads "Caretaker C2 (K\'s version)"), C2 is DETACHED and the vCPU is ORPHANED_RUNNING. This core has no Linux at all: no scheduler, syscalls, IRQ tables or VMM (rfc-thread.md Phase F, the run in the gap). Every exit lands in the Caretaker, which either finishes it and re-enters the guest at once (a fastpath mark under the vCPU lane) or leaves the vCPU stalled until a kernel adopts it.',
      at: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING' },
      view: [{ enter: 'vm0/vCPU0', state: 'DETACHING' }, { enter: 'vm0/vCPU1', state: 'ORPHANED_RUNNING', plus: 2_000_000 }],
      highlight: [
        { from: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING' }, to: { enter: 'vm0/vCPU1', state: 'ORPHANED_RUNNING', plus: 2_000_000 }, lanes: ['CPU 2', 'C2', 'vm0/vCPU0'], label: 'the Caretaker owns CPU 2' },
      ],
    },
    {
      title: 'Predict: can an idle guest live here?',
      text: 'This lesson\'s host is Intel (VMX) and its guest an idle Linux: about 2,000 exits a second per vCPU (the `idle` profile, from bcc\'s kvmexit sample: mechanics.md §5.5). Much of that is timekeeping. An MSR_WRITE/TSC_DEADLINE exit is the guest arming its LAPIC timer with a WRMSR to `MSR_IA32_TSC_DEADLINE` (0x6e0); the host must then raise the timer interrupt when the deadline passes. Attached, KVM emulates that timer for the guest; in the gap, all vm0/vCPU0 has is C2.',
      at: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING' },
      view: [{ enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: -1_000_000 }, { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: 45_000_000 }],
      highlight: [{ from: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING' }, to: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING', plus: 45_000_000 }, lanes: ['vm0/vCPU0'], label: 'vCPU0 under C2' }],
      checkpoint: {
        question: 'With no host kernel behind C2, will vm0/vCPU0 stall anywhere in the gap, and if so on what?',
        choices: STALL_CHOICES,
        answer: (run) => {
          const s = firstStall(run, 'vm0/vCPU0');
          return s ? choiceOf(STALL_CHOICES, STALL_OF[s.reason] ?? s.reason) : 0;
        },
        reveal: { enter: 'vm0/vCPU0', state: 'ADOPTING' },
        explain: (run) => {
          const s = firstStall(run, 'vm0/vCPU0');
          const arch = 'On Intel the fastpath\'s `kvm_set_lapic_tscdeadline_msr()` arms the VMX preemption timer, which needs no host timer at all (mechanics.md §3.3, §3.6). AMD has no preemption timer: emulating the deadline needs an hrtimer, and there is none in the gap, so on `amd-svm` the first timer write stalls the vCPU until adoption (rfc-thread.md Phase F, the run in the gap; the preset `amd-svm-idle` shows it). On arm64 the guest programs `CNTV_CVAL_EL0` without trapping at all, so there is no write to handle.';
          if (!s) {
            return `No. vm0/vCPU0 ran through its whole gap: its Caretaker took ${n(gap(run, 'vm0/vCPU0', 'MSR_WRITE/TSC_DEADLINE'))} MSR_WRITE/TSC_DEADLINE exits and ${n(gap(run, 'vm0/vCPU0', 'PREEMPTION_TIMER'))} PREEMPTION_TIMER exits when a deadline passed (most writes move a deadline before it fires: bcc's sample has 13,318 MSR writes to 171 preemption-timer exits, mechanics.md §5.5), all in the fastpath, and stalled on nothing. ${arch}`;
          }
          return `Yes: vm0/vCPU0 stalled at ${fmt(s.t)} on its first ${s.reason} exit in the gap and stayed blocked until adoption. ${arch}`;
        },
        tryIt: { patch: { host: { arch: 'amd-svm', features: { apicv: false, ipiv: false, avic: false } } }, says: 'the same VM on AMD SVM (host.arch: amd-svm)' },
      },
    },
    {
      title: 'IPIs and CPUID without a kernel',
      text: 'With IPI virtualization off on this host, each WRMSR to the x2APIC ICR (0x830) exits as MSR_WRITE/X2APIC_ICR. KVM\'s fastpath sends such an IPI before it even re-enables host interrupts (`kvm_x2apic_icr_write_fast()`, mechanics.md §3.3), and the Caretaker does the same, posting the vector to the target vCPU. With IPIv, AVIC or GICv4.1 the write would not exit at all (rfc-thread.md Phase F, the run in the gap). A CPUID exit is answered from the vCPU\'s `kvm_cpuid2`, preserved in KHO with the rest of its state (walkthrough §5).',
      at: { enter: 'vm0/vCPU1', state: 'ORPHANED_RUNNING', plus: 30_000_000 },
      view: [{ enter: 'vm0/vCPU1', state: 'ORPHANED_RUNNING' }, { enter: 'vm0/vCPU1', state: 'ORPHANED_RUNNING', plus: 40_000_000 }],
      highlight: [{ from: { enter: 'vm0/vCPU1', state: 'ORPHANED_RUNNING' }, to: { enter: 'vm0/vCPU1', state: 'ORPHANED_RUNNING', plus: 40_000_000 }, lanes: ['vm0/vCPU0', 'vm0/vCPU1'], label: 'ICR writes and CPUID, all fastpath' }],
    },
    {
      title: 'Predict: which exit keeps the Caretaker busiest?',
      text: 'Both vCPUs are now in the gap, and every exit so far has been a fastpath mark. The guest\'s exit mix decides how much work its Caretaker does for it, and which of its emulations matters most.',
      at: DOMINANT_AT,
      view: [{ enter: 'vm0/vCPU1', state: 'ORPHANED_RUNNING', plus: 45_000_000 }, { enter: 'vm0/vCPU1', state: 'ORPHANED_RUNNING', plus: 60_000_000 }],
      checkpoint: {
        question: 'From here until its adoption, which exit will C2 handle most often for vm0/vCPU0?',
        choices: TOP_CHOICES,
        answer: (run) => {
          const by = exitsIn(run, dominantFrom(run), gapEnd(run, 'vm0/vCPU0'), 'vm0/vCPU0').byReason;
          const top = TOP_CHOICES.reduce((a, b) => ((by[b] ?? 0) > (by[a] ?? 0) ? b : a));
          return choiceOf(TOP_CHOICES, top);
        },
        reveal: { enter: 'vm0/vCPU0', state: 'ADOPTING' },
        explain: (run) => {
          const by = exitsIn(run, dominantFrom(run), gapEnd(run, 'vm0/vCPU0'), 'vm0/vCPU0').byReason;
          const list = TOP_CHOICES.map((r) => [r, by[r] ?? 0] as const).sort((a, b) => b[1] - a[1]);
          if (list[0][1] === 0) return 'None of them: vm0/vCPU0 was already stalled, so its Caretaker had nothing to handle until adoption (step 2).';
          return `Until its adoption C2 handled, for vm0/vCPU0: ${list.map(([r, c]) => `${n(c)} ${r}`).join(', ')}. An idle guest mostly re-arms its timer (mechanics.md §5.5: 69.5 % MSR writes in bcc's sample); a scheduler-heavy guest sends reschedule IPIs instead, and without IPIv those ICR writes take over.`;
        },
        tryIt: {
          patch: { vms: [{ ...VM0, workload: 'ipi-heavy' }] },
          says: 'a scheduler-heavy guest (the `ipi-heavy` profile: hackbench, 18,000 ICR writes a second)',
        },
      },
    },
    {
      title: 'HLT: skipped, not handled',
      text: 'Paolo Bonzini, the KVM maintainer (M6): HLT cannot really be handled by the Caretaker, which runs with interrupts off and so cannot block. For the gap Pasha Tatashin, the RFC\'s author (M10), proposed to skip the exit and re-enter the guest; Paolo (M12), to disable the idle intercepts as `KVM_CAP_X86_DISABLE_EXITS` does for dedicated pCPUs (in the lab HLT, PAUSE and MWAIT: docs/scenario.md). This run uses `caretaker.hlt: skip`: each HLT exit is a fastpath mark, and the core spins through the guest\'s idle loop instead of halting (walkthrough §7.5).',
      at: { phase: 'kexec' },
      view: [{ phase: 'kexec', plus: -6_000_000 }, { phase: 'kexec', plus: 6_000_000 }],
      highlight: [{ from: { phase: 'kexec', plus: -6_000_000 }, to: { phase: 'kexec', plus: 6_000_000 }, lanes: ['vm0/vCPU0', 'vm0/vCPU1'], label: 'HLT exits skipped by the Caretaker' }],
      checkpoint: {
        question: 'From the kexec jump until vm0/vCPU0 is adopted, how many HLT exits will C2 take for it?',
        choices: HLT_CHOICES,
        answer: (run) => bucket(exitsIn(run, kexecAt(run), gapEnd(run, 'vm0/vCPU0'), 'vm0/vCPU0').byReason.HLT ?? 0, [1, 1000, 10000]),
        reveal: { enter: 'vm0/vCPU0', state: 'ADOPTING' },
        explain: (run) => {
          const h = exitsIn(run, kexecAt(run), gapEnd(run, 'vm0/vCPU0'), 'vm0/vCPU0').byReason.HLT ?? 0;
          const s = firstStall(run, 'vm0/vCPU0');
          if (h === 0 && s && s.t < kexecAt(run)) return `None: vm0/vCPU0 had stalled on ${s.reason} at ${fmt(s.t)}, before the jump, and a stalled vCPU executes nothing.`;
          return h > 0
            ? `${n(h)} HLT exits in ${fmt(gapEnd(run, 'vm0/vCPU0') - kexecAt(run))}, about ${n(Math.round(h / ((gapEnd(run, 'vm0/vCPU0') - kexecAt(run)) / 1e9)))} a second, the rate at which the guest idles (the idle profile: 540/s). Each is skipped in the fastpath; with \`caretaker.hlt: disable-intercepts\` the Caretaker's VMCS stops intercepting HLT and the guest halts the core itself, with no exit at all.`
            : 'None: the Caretaker\'s VMCS does not intercept HLT, PAUSE or MWAIT, so the guest halts the core itself and never exits for idling.';
        },
        tryIt: { patch: { caretaker: { hlt: 'disable-intercepts' } }, says: 'HLT, PAUSE and MWAIT intercepts disabled in the gap (caretaker.hlt)' },
      },
    },
    {
      title: 'What the gap cost',
      text: (run) => {
        const a = gapTotals(run, 'vm0/vCPU0');
        const b = gapTotals(run, 'vm0/vCPU1');
        return `At adoption the new kernel stops each Caretaker (ADOPTING) and the VMM′ resumes \`KVM_RUN\`: both vCPUs are ATTACHED_RUNNING again. Over the gap C2 finished ${n(a.handled)} exits alone for vm0/vCPU0 and C3 ${n(b.handled)} for vm0/vCPU1; ${a.stalled + b.stalled === 0 ? 'none stalled' : `${n(a.stalled + b.stalled)} stalled`}, and vm0's blackout is ${fmt(vmReport(run).blackoutNs)}. Each of those exits also left one record in its vCPU's trace ring (lesson 7); to see the gap go wrong, try the preset \`amd-svm-idle\` or \`converged-strict\` (lesson 6).`;
      },
      at: { phase: 'adopted' },
      view: [{ enter: 'vm0/vCPU0', state: 'ADOPTING', plus: -1_000_000 }, { phase: 'adopted', plus: 1_000_000 }],
      highlight: [{ from: { enter: 'vm0/vCPU0', state: 'ADOPTING' }, to: { phase: 'adopted' }, lanes: ['vm0/vCPU0', 'vm0/vCPU1', 'C2', 'C3'], label: 'adoption ends the gap' }],
    },
  ],
};
