/**
 * The exit catalog: every guest exit kind the lab models, named as VMX exit reasons
 * (EXIT_REASON_* without the prefix; MSR writes split by the MSR they hit), with the names the
 * same exit has on AMD SVM (SVM_EXIT_*) and arm64 (ESR_ELx exception classes, as perf kvm stat
 * prints them), and the four dispositions of design.md §4.
 */

export const ARCHES = ['intel-vmx', 'amd-svm', 'arm64'] as const;
export type Arch = (typeof ARCHES)[number];

export interface ExitKind {
  id: string;
  /** What the guest did. */
  meaning: string;
  svm: string | null;
  arm64: string | null;
}

/** Index order is part of the event log format: append only. */
export const EXIT_KINDS: readonly ExitKind[] = [
  { id: 'EXTERNAL_INTERRUPT', meaning: 'a host interrupt arrived while the guest ran', svm: 'INTR', arm64: 'IRQ' },
  { id: 'EXCEPTION_NMI', meaning: 'an exception or NMI intercepted from the guest', svm: 'NMI', arm64: null },
  { id: 'CPUID', meaning: 'the guest executed CPUID (arm64: read an ID register)', svm: 'CPUID', arm64: 'SYS64' },
  { id: 'HLT', meaning: 'the guest halted: idle (arm64: WFI)', svm: 'HLT', arm64: 'WFx' },
  { id: 'INVD', meaning: 'the guest executed INVD', svm: 'INVD', arm64: null },
  { id: 'VMCALL', meaning: 'a hypercall (VMMCALL, HVC)', svm: 'VMMCALL', arm64: 'HVC64' },
  { id: 'IO_INSTRUCTION', meaning: 'port I/O (IN/OUT) to an emulated device', svm: 'IOIO', arm64: null },
  { id: 'MSR_READ', meaning: 'RDMSR of an intercepted MSR (arm64: a trapped system register read)', svm: 'MSR', arm64: 'SYS64' },
  { id: 'MSR_WRITE/TSC_DEADLINE', meaning: 'WRMSR MSR_IA32_TSC_DEADLINE (0x6e0): the guest armed its LAPIC timer (arm64: CNTV_CVAL_EL0, not trapped)', svm: 'MSR', arm64: null },
  { id: 'MSR_WRITE/X2APIC_ICR', meaning: 'WRMSR x2APIC ICR (0x830): the guest sent an IPI (arm64: ICC_SGI1R_EL1)', svm: 'MSR', arm64: 'SYS64' },
  { id: 'MSR_WRITE/OTHER', meaning: 'WRMSR of another intercepted MSR (arm64: a trapped system register write)', svm: 'MSR', arm64: 'SYS64' },
  { id: 'MWAIT_INSTRUCTION', meaning: 'the guest executed MWAIT (arm64: WFE)', svm: 'MWAIT', arm64: 'WFx' },
  { id: 'PAUSE_INSTRUCTION', meaning: 'pause-loop exiting: the guest spins (arm64: WFE)', svm: 'PAUSE', arm64: 'WFx' },
  { id: 'APIC_ACCESS', meaning: 'an access to the virtual APIC page that APICv does not virtualize', svm: 'AVIC_UNACCELERATED_ACCESS', arm64: null },
  { id: 'EOI_INDUCED', meaning: 'EOI of a level-triggered interrupt (APICv)', svm: 'AVIC_UNACCELERATED_ACCESS', arm64: null },
  { id: 'EPT_VIOLATION', meaning: 'a guest access to memory not mapped in the EPT (NPF, stage-2 abort)', svm: 'NPF', arm64: 'DABT_LOW' },
  { id: 'EPT_MISCONFIG', meaning: 'MMIO to an emulated device (a virtio doorbell)', svm: 'NPF', arm64: 'DABT_LOW' },
  { id: 'PREEMPTION_TIMER', meaning: 'the VMX preemption timer fired: the guest timer deadline passed (arm64: the EL2 timer IRQ)', svm: null, arm64: 'IRQ' },
  { id: 'CR_ACCESS', meaning: 'a write to an intercepted control register', svm: 'CR0_WRITE', arm64: null },
  { id: 'XSETBV', meaning: 'the guest set XCR0', svm: 'XSETBV', arm64: null },
  { id: 'WBINVD', meaning: 'the guest executed WBINVD', svm: 'WBINVD', arm64: null },
];

export const EXIT_IDS = EXIT_KINDS.map((k) => k.id);
export const NUM_EXITS = EXIT_KINDS.length;
export const EXIT_INDEX: Readonly<Record<string, number>> = Object.fromEntries(EXIT_IDS.map((id, i) => [id, i]));

export const X = {
  EXTERNAL_INTERRUPT: EXIT_INDEX.EXTERNAL_INTERRUPT,
  EXCEPTION_NMI: EXIT_INDEX.EXCEPTION_NMI,
  CPUID: EXIT_INDEX.CPUID,
  HLT: EXIT_INDEX.HLT,
  INVD: EXIT_INDEX.INVD,
  VMCALL: EXIT_INDEX.VMCALL,
  IO_INSTRUCTION: EXIT_INDEX.IO_INSTRUCTION,
  MSR_READ: EXIT_INDEX.MSR_READ,
  TSC_DEADLINE: EXIT_INDEX['MSR_WRITE/TSC_DEADLINE'],
  X2APIC_ICR: EXIT_INDEX['MSR_WRITE/X2APIC_ICR'],
  MSR_WRITE_OTHER: EXIT_INDEX['MSR_WRITE/OTHER'],
  MWAIT: EXIT_INDEX.MWAIT_INSTRUCTION,
  PAUSE: EXIT_INDEX.PAUSE_INSTRUCTION,
  APIC_ACCESS: EXIT_INDEX.APIC_ACCESS,
  EOI_INDUCED: EXIT_INDEX.EOI_INDUCED,
  EPT_VIOLATION: EXIT_INDEX.EPT_VIOLATION,
  EPT_MISCONFIG: EXIT_INDEX.EPT_MISCONFIG,
  PREEMPTION_TIMER: EXIT_INDEX.PREEMPTION_TIMER,
  CR_ACCESS: EXIT_INDEX.CR_ACCESS,
  XSETBV: EXIT_INDEX.XSETBV,
  WBINVD: EXIT_INDEX.WBINVD,
} as const;

/** The name of an exit on an architecture, as its tools print it. */
export function archExitName(kind: number, arch: Arch): string | null {
  const k = EXIT_KINDS[kind];
  if (arch === 'intel-vmx') return k.id;
  return arch === 'amd-svm' ? (k.svm === null ? null : `SVM_EXIT_${k.svm}`) : k.arm64;
}

/**
 * What happens to an exit (design.md §4). NONE: the exit never happens (disabled intercept,
 * posted interrupt, IPI virtualization) and is not counted.
 */
export const Disp = { NONE: 0, FASTPATH: 1, STALLED: 2, HOST: 3, USERSPACE: 4 } as const;
export type Disp = (typeof Disp)[keyof typeof Disp];
export const DISP_NAMES = ['none', 'fastpath', 'stalled', 'host', 'userspace'] as const;
export type DispName = (typeof DISP_NAMES)[number];
