/** Lesson 2: LUO sessions and KHO: what is preserved, and how it crosses the kexec. */
import { L } from '../../model/eventlog.ts';
import { AnchorError, entityByName } from '../anchors.ts';
import { choiceOf, entries, fmt, ipisOf, phaseAt } from '../facts.ts';
import type { Lesson, LessonRun } from '../types.ts';

const at = fmt;

/** KHO records of one kind (0 preserved, 1 restored, 2 freed) in [t0, t1], as the KHO lane ticks them. */
function khoRegions(run: LessonRun, op: 0 | 1 | 2, t0 = 0, t1 = Infinity): { key: string; t: number }[] {
  const ent = entityByName(run, 'KHO');
  if (ent < 0) throw new AnchorError('no KHO lane in this run');
  const out: { key: string; t: number }[] = [];
  for (const i of run.data.byEntity.get(ent) ?? []) {
    if (run.data.kind(i) !== L.KHO || run.data.b[i] !== op) continue;
    const t = run.data.t[i];
    if (t >= t0 && t <= t1) out.push({ key: run.data.str(run.data.a[i]), t });
  }
  return out;
}

/** A KHO region key ("ring:vm0/vCPU0") in words. */
function region(key: string): string {
  const [kind, who = ''] = key.split(':');
  switch (kind) {
    case 'luo':
      return `${who}'s session metadata`;
    case 'mem':
      return `${who}'s guest memory (the memfd)`;
    case 'pvclock':
      return `${who}'s kvmclock and TSC offset`;
    case 'pt':
      return `${who}'s EPT pages`;
    case 'caretaker':
      return "the Caretaker's code and data";
    case 'ring':
      return `${who}'s trace ring`;
    case 'vcpu':
      return `${who}'s state`;
    default:
      return key;
  }
}

const list = (xs: string[]) => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/** Regions KHO carries at the jump: preserved before HANDED_OVER and not freed by then. */
function handedOver(run: LessonRun): { key: string; t: number }[] {
  const jump = entries(run, 'KHO', 'HANDED_OVER')[0];
  if (jump === undefined) throw new AnchorError('KHO is never handed over in this run');
  const freed = new Set(khoRegions(run, 2, 0, jump).map((r) => r.key));
  return khoRegions(run, 0, 0, jump).filter((r) => !freed.has(r.key));
}

const COUNT_CHOICES = ['3', '5', '7', '9', '11'];

/** The CPUs `smp_init()` of the new kernel sends INIT/SIPI to, in words. */
const SMP_CHOICES = ['CPUs 1 and 4–7: all but the boot CPU and the preserved ones', 'all of CPUs 1–7', 'only CPUs 2 and 3', 'none of them'];

function smpInitTargets(run: LessonRun): number[] {
  const kexec = phaseAt(run, 'kexec');
  return [...new Set(ipisOf(run, 'init-sipi').filter((m) => m.sendT >= kexec).map((m) => m.to))].sort((a, b) => a - b);
}

function smpInitChoice(run: LessonRun): number {
  const targets = smpInitTargets(run);
  const secondaries = run.data.entities.map((e) => /^CPU (\d+)$/.exec(e.name)).filter((m): m is RegExpExecArray => !!m).map((m) => Number(m[1])).filter((n) => n !== 0);
  const preserved = secondaries.filter((n) => entries(run, `CPU ${n}`, 'CARETAKER').length > 0);
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (targets.length === 0) return choiceOf(SMP_CHOICES, 'none of them');
  if (same(targets, secondaries)) return choiceOf(SMP_CHOICES, 'all of CPUs 1–7');
  if (same(targets, preserved)) return choiceOf(SMP_CHOICES, 'only CPUs 2 and 3');
  if (same(targets, secondaries.filter((n) => !preserved.includes(n)))) return choiceOf(SMP_CHOICES, SMP_CHOICES[0]);
  throw new AnchorError(`smp_init() sent INIT/SIPI to CPUs ${targets.join(', ')}: not among the choices`);
}

const cpus = (ns: number[]) => (ns.length ? ns.map((n) => `CPU ${n}`).join(', ') : 'no CPU');

export const luoKho: Lesson = {
  id: 'luo-kho',
  order: 2,
  title: 'LUO sessions and KHO: what crosses the kexec',
  goal: 'Name what a converged live update preserves (memory, vmfd, vcpufds, vCPU state, trace rings, the Caretaker) and follow the LUO session and KHO through the kexec.',
  scenario: { preset: 'converged-idle' },
  concepts: ['luo-kho', 'kexec', 'trace-ring', 'caretaker', 'invariants'],
  sources: [
    'mechanics.md §1.2–1.7 (LUO states, uAPI, liveupdate_reboot()), §2.1–2.3 (KHO), §7',
    'rfc-thread.md Phase D, E, G, H; Appendix C (LUO uAPI)',
    'orphanvm.md §1.2 (what is serialized where), §1.3d (vmfd/vcpufd callbacks)',
    'walkthrough.md §2 steps 1–16',
    'docs/concepts.md "LUO and KHO"',
  ],
  steps: [
    {
      title: 'A session for vm0: memory and the VM',
      text: (run) =>
        `At ${at(phaseAt(run, 'preserve'))} VMM vm0 (now PRESERVING) creates a session with \`LIVEUPDATE_IOCTL_CREATE_SESSION\` and hands it the memfd behind guest memory and the vmfd with \`LIVEUPDATE_SESSION_PRESERVE_FD\`: the session is PRESERVED at once. The files' \`.preserve()\` callbacks do their heavy work while the guest runs on: ${fmt(entries(run, 'vm0/vCPU0', 'DETACHING')[0] - phaseAt(run, 'preserve'))} here (mechanics.md §7's judgment; no figure is published). KHO is TRACKING: each tick on its lane is a region marked with \`kho_preserve_folio()\` — ${list(khoRegions(run, 0, phaseAt(run, 'preserve'), phaseAt(run, 'preserve')).map((r) => region(r.key)))}.`,
      at: { phase: 'preserve', plus: 1000 },
      view: [{ phase: 'preserve', plus: -20_000_000 }, { enter: 'vm0/vCPU0', state: 'DETACHING', plus: 10_000_000 }],
      highlight: [{ from: { phase: 'preserve' }, to: { enter: 'vm0/vCPU0', state: 'DETACHING' }, lanes: ['VMM vm0', 'LUO session vm0', 'KHO'], label: 'memfd and vmfd preserved' }],
    },
    {
      title: 'Each vcpufd: the Caretaker, a ring and the vCPU state',
      text: (run) =>
        `At ${at(entries(run, 'vm0/vCPU0', 'DETACHING')[0])} the VMM preserves the vcpufds, one at a time. The first brings the Caretaker's code and data into KHO (once for all vCPUs) and vm0/vCPU0's trace ring; once C2 has parked the vCPU in a known state, its state follows as \`kvm_vcpu_arch_ser\`, built from uAPI structs (\`kvm_regs\`, \`kvm_lapic_state\`, \`kvm_xsave\`, \`kvm_cpuid2\`), never a private struct (orphanvm.md §1.2). Then vm0/vCPU1. At ${at(entries(run, 'VMM vm0', 'PRESERVED')[0])} VMM vm0 is PRESERVED; the LUO agent \`luod\` holds the session, so the VMM may exit without losing these files (mechanics.md §1.3).`,
      at: { enter: 'vm0/vCPU0', state: 'DETACHING' },
      view: [{ enter: 'vm0/vCPU0', state: 'DETACHING', plus: -1_000_000 }, { enter: 'VMM vm0', state: 'PRESERVED', plus: 1_000_000 }],
      highlight: [
        { from: { enter: 'vm0/vCPU0', state: 'DETACHING' }, to: { enter: 'VMM vm0', state: 'PRESERVED' }, lanes: ['KHO', 'vm0/vCPU0', 'vm0/vCPU1'], label: 'vcpufd 0, then vcpufd 1' },
      ],
    },
    {
      title: 'Predict: what does KHO carry across?',
      text: (run) =>
        `At ${at(entries(run, 'K (old kernel)', 'FREEZE')[0])} the host calls \`reboot(LINUX_REBOOT_CMD_KEXEC)\`, whose first act is \`liveupdate_reboot()\`, so that a failure can still be undone (mechanics.md §1.5). K enters FREEZE: every file's \`.freeze()\` runs and the session is FROZEN; the vmfd's walks the EPT, quiescent now that no thread is in \`KVM_RUN\`, and preserves its roots and non-leaf pages (orphanvm.md §1.3d). Then \`kho_finalize()\` flattens KHO's tracking bitmaps into the tree the next kernel reads (FINALIZED). The guest runs on.`,
      at: { phase: 'kexec', plus: -1_000_000 },
      view: [{ enter: 'K (old kernel)', state: 'FREEZE', plus: -10_000_000 }, { enter: 'KHO', state: 'HANDED_OVER', plus: 1_000_000 }],
      highlight: [{ from: { enter: 'K (old kernel)', state: 'FREEZE' }, to: { phase: 'kexec' }, lanes: ['K (old kernel)', 'LUO session vm0', 'KHO'], label: 'liveupdate_reboot(): freeze, then finalize' }],
      checkpoint: {
        question: 'When the boot CPU jumps, how many preserved regions will KHO hand to the new kernel for this 2-vCPU VM? (Count per VM, per vCPU, and once.)',
        choices: COUNT_CHOICES,
        answer: (run) => choiceOf(COUNT_CHOICES, String(handedOver(run).length)),
        reveal: { enter: 'KHO', state: 'HANDED_OVER', plus: 1000 },
        explain: (run) => {
          const r = handedOver(run);
          return `KHO hands over ${r.length} regions: ${list(r.map((x) => `${region(x.key)} at ${at(x.t)}`))}. Per VM four (session metadata, memory, kvmclock and TSC offset, EPT pages), per vCPU two (state and trace ring), and the Caretaker once; the EPT pages come last, at \`.freeze()\`.`;
        },
        tryIt: {
          patch: { vms: [{ name: 'vm0', vcpus: 1, pinning: [2], memory: 'prefaulted', devices: [{ name: 'nvme0', kind: 'passthrough', postedInterrupts: true }], workload: 'idle' }] },
          says: 'a 1-vCPU VM pinned to CPU 2',
        },
      },
    },
    {
      title: 'Predict: which CPUs does the new kernel wake?',
      text: (run) =>
        `At the point of no return (${at(phaseAt(run, 'kexec'))}) the boot CPU jumped and KHO was HANDED_OVER. K′ boots from KHO's scratch areas, memory that holds no preserved page, so booting cannot overwrite one (mechanics.md §2.2). In EARLY_BOOT \`kho_populate()\` reads the KHO tree and \`cpu_preserved_flb_retrieve()\` reads an FLB, a file-lifecycle-bound object: global data LUO carries beside the sessions (mechanics.md §1.4). Through all of this C2 and C3 keep running the guest.`,
      at: { enter: 'K′ (new kernel)', state: 'SMP_INIT', plus: -1_000_000 },
      view: [{ enter: 'K′ (new kernel)', state: 'SMP_INIT', plus: -1_100_000 }, { enter: 'K′ (new kernel)', state: 'SMP_INIT', plus: 150_000 }],
      highlight: [
        { from: { enter: 'K′ (new kernel)', state: 'SMP_INIT', plus: -1_100_000 }, to: { enter: 'K′ (new kernel)', state: 'SMP_INIT' }, lanes: ['K′ (new kernel)', 'C2', 'C3'], label: 'early boot; the Caretakers run on' },
        { from: { enter: 'K′ (new kernel)', state: 'SMP_INIT' }, to: { enter: 'K′ (new kernel)', state: 'SMP_INIT', plus: 100_000 }, label: 'smp_init()' },
      ],
      checkpoint: {
        question: 'K′ now runs `smp_init()`, which normally sends INIT and two SIPIs to every secondary CPU. Which CPUs will get them?',
        choices: SMP_CHOICES,
        answer: smpInitChoice,
        reveal: { enter: 'K′ (new kernel)', state: 'SMP_INIT', plus: 100_000 },
        explain: (run) =>
          `\`smp_init()\` at ${at(entries(run, 'K′ (new kernel)', 'SMP_INIT')[0])} sent INIT/SIPI to ${cpus(smpInitTargets(run))} (the arrows from CPU 0). The FLB listed the preserved CPUs and \`cpu_preserved_flb_retrieve()\` marked them not present, so \`smp_init()\` skips them (Pasha Tatashin, the RFC's author, M4; rfc-thread.md Phase G, "New kernel boot"): an INIT there would hit a core in VMX non-root operation and force a VM exit no Caretaker can handle (mechanics.md §4.1), which invariant 8 forbids. In "try it" the new kernel boots with live update disabled, so nothing tells it.`,
        tryIt: { patch: { faults: [{ kind: 'kexec-fail', mode: 'luo-disabled' }] }, says: 'the new kernel boots with live update disabled (kexec-fail, luo-disabled)' },
      },
    },
    {
      title: 'The new VMM retrieves what was preserved',
      text: (run) =>
        `K′ reaches userspace at ${at(phaseAt(run, 'newKernelUp'))}, ${fmt(phaseAt(run, 'newKernelUp') - phaseAt(run, 'kexec'))} after the jump (mechanics.md §7, after Hy-FiX's 7.6 s host reboot). VMM′ vm0 (RETRIEVING) gets the session back with \`LIVEUPDATE_IOCTL_RETRIEVE_SESSION\` (RETRIEVED; KHO RESTORED), then memfd and vmfd with \`LIVEUPDATE_SESSION_RETRIEVE_FD\`: memory, session metadata and the old EPT pages return unchanged (the downward ticks). Each vcpufd's \`RETRIEVE_FD\` restores its vCPU's state, kvmclock and TSC offset as it is adopted, at ${list(khoRegions(run, 1).filter((r) => r.key.startsWith('vcpu:')).map((r) => at(r.t)))}.`,
      at: { enter: 'VMM′ vm0', state: 'RETRIEVING' },
      view: [{ phase: 'newKernelUp', plus: -5_000_000 }, { phase: 'adopted', plus: 1_000_000 }],
      highlight: [{ from: { enter: 'VMM′ vm0', state: 'RETRIEVING' }, to: { phase: 'adopted' }, lanes: ['VMM′ vm0', 'LUO session vm0', 'KHO'], label: 'RETRIEVE_SESSION, then RETRIEVE_FD' }],
    },
    {
      title: 'FINISH: LUO lets go',
      text: (run) =>
        `With both vCPUs back in \`KVM_RUN\` (ATTACHED_RUNNING at ${at(entries(run, 'vm0/vCPU0', 'ATTACHED_RUNNING')[1])}), VMM′ vm0 calls \`LIVEUPDATE_SESSION_FINISH\`: each file's \`.finish()\` frees what the old kernel left behind, LUO gives up ownership and the session's lane ends at ${at(phaseAt(run, 'finish'))}. KHO frees ${khoRegions(run, 2).length === handedOver(run).length ? 'all ' : ''}${khoRegions(run, 2).length} regions (the ticks on its lane). Nothing crosses more than one kexec: the next update starts a new session. Invariant 10 (K′ reads only what K preserved) ${run.report.invariants.violations.some((v) => v.id === 10) ? 'is broken in this run' : 'holds in this run'}.`,
      at: { phase: 'finish' },
      view: [{ phase: 'adopted', plus: -1_000_000 }, { phase: 'finish', plus: 1_000_000 }],
      highlight: [{ from: { phase: 'adopted' }, to: { phase: 'finish' }, lanes: ['VMM′ vm0', 'LUO session vm0', 'KHO'], label: 'LIVEUPDATE_SESSION_FINISH' }],
    },
  ],
};
