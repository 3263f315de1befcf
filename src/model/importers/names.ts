/**
 * Exit-reason names as the tools print them, mapped to the lab's exit ids (src/model/exits.ts).
 *
 * - VMX: upper case `EXIT_REASON_*` without the prefix (perf, trace-cmd, the 3.x+ kernel
 *   TP_printk), the lower-case strings of the 2.6.3x `vmx_exit_reasons_str` (`ext_irq`, `halt`,
 *   `wrmsr`, `apic_access`), bcc's `EXIT_REASON_*`, and the numbers of the VMX basic exit reason.
 * - SVM: the kernel's `SVM_EXIT_REASONS` strings (`npf`, `hlt`, `msr`, `io`, `interrupt`, `GP excp`)
 *   and the libtraceevent kvm plugin's `EXIT_NPF` style.
 * - arm64: the ESR_ELx exception classes perf kvm stat prints (`WFx`, `DABT_LOW`, `SYS64`,
 *   `HVC64`), the exit types (`IRQ`, `TRAP`) and the `EC_` prefix of the Kylin bcc tool.
 *
 * A name with no lab id is "not modelled": it keeps its count and share in the import. Where a
 * name covers more than one lab id, the mapping carries the assumption that picks one.
 */
import type { Arch } from '../exits.ts';

/**
 * What a raw name becomes: an exit id of src/model/exits.ts; `MSR_WRITE` (split by the MSR
 * later); `SVM_MSR` (SVM_EXIT_MSR: a read or a write, by EXITINFO1); `SVM_NPF` (SVM_EXIT_NPF: an
 * MMIO access or a fault, by the error code in EXITINFO1); or null (not modelled).
 */
export type ExitTarget = string | 'MSR_WRITE' | 'SVM_MSR' | 'SVM_NPF' | null;

export interface ExitName {
  /** The name as the kernel spells it for this architecture (EXIT_REASON_*, SVM_EXIT_*, ESR EC). */
  canonical: string;
  arch: Arch | null;
  target: ExitTarget;
  /** Why this name maps to one of several lab ids; shown as an ASSUMPTION. */
  assumption?: string;
}

/** VMX basic exit reasons (Intel SDM vol. 3 appendix C; `EXIT_REASON_*` in arch/x86/include/uapi/asm/vmx.h). */
export const VMX_BASIC_EXIT_REASONS: Readonly<Record<number, string>> = {
  0: 'EXCEPTION_NMI', 1: 'EXTERNAL_INTERRUPT', 2: 'TRIPLE_FAULT', 3: 'INIT_SIGNAL', 4: 'SIPI_SIGNAL',
  7: 'INTERRUPT_WINDOW', 8: 'NMI_WINDOW', 9: 'TASK_SWITCH', 10: 'CPUID', 12: 'HLT', 13: 'INVD',
  14: 'INVLPG', 15: 'RDPMC', 16: 'RDTSC', 18: 'VMCALL', 19: 'VMCLEAR', 20: 'VMLAUNCH', 21: 'VMPTRLD',
  22: 'VMPTRST', 23: 'VMREAD', 24: 'VMRESUME', 25: 'VMWRITE', 26: 'VMOFF', 27: 'VMON', 28: 'CR_ACCESS',
  29: 'DR_ACCESS', 30: 'IO_INSTRUCTION', 31: 'MSR_READ', 32: 'MSR_WRITE', 33: 'INVALID_STATE',
  34: 'MSR_LOAD_FAIL', 36: 'MWAIT_INSTRUCTION', 37: 'MONITOR_TRAP_FLAG', 39: 'MONITOR_INSTRUCTION',
  40: 'PAUSE_INSTRUCTION', 41: 'MCE_DURING_VMENTRY', 43: 'TPR_BELOW_THRESHOLD', 44: 'APIC_ACCESS',
  45: 'EOI_INDUCED', 46: 'GDTR_IDTR', 47: 'LDTR_TR', 48: 'EPT_VIOLATION', 49: 'EPT_MISCONFIG',
  50: 'INVEPT', 51: 'RDTSCP', 52: 'PREEMPTION_TIMER', 53: 'INVVPID', 54: 'WBINVD', 55: 'XSETBV',
  56: 'APIC_WRITE', 57: 'RDRAND', 58: 'INVPCID', 59: 'VMFUNC', 60: 'ENCLS', 61: 'RDSEED', 62: 'PML_FULL',
  63: 'XSAVES', 64: 'XRSTORS', 67: 'UMWAIT', 68: 'TPAUSE', 74: 'BUS_LOCK', 75: 'NOTIFY',
};

const VMX_NAMES = new Set([...Object.values(VMX_BASIC_EXIT_REASONS), 'PENDING_INTERRUPT']);

/** VMX exit reasons the lab models; every other VMX reason is "not modelled". */
const VMX_TARGET: Readonly<Record<string, ExitTarget>> = {
  EXCEPTION_NMI: 'EXCEPTION_NMI',
  EXTERNAL_INTERRUPT: 'EXTERNAL_INTERRUPT',
  CPUID: 'CPUID',
  HLT: 'HLT',
  INVD: 'INVD',
  VMCALL: 'VMCALL',
  IO_INSTRUCTION: 'IO_INSTRUCTION',
  MSR_READ: 'MSR_READ',
  MSR_WRITE: 'MSR_WRITE',
  MWAIT_INSTRUCTION: 'MWAIT_INSTRUCTION',
  PAUSE_INSTRUCTION: 'PAUSE_INSTRUCTION',
  APIC_ACCESS: 'APIC_ACCESS',
  EOI_INDUCED: 'EOI_INDUCED',
  EPT_VIOLATION: 'EPT_VIOLATION',
  EPT_MISCONFIG: 'EPT_MISCONFIG',
  PREEMPTION_TIMER: 'PREEMPTION_TIMER',
  CR_ACCESS: 'CR_ACCESS',
  XSETBV: 'XSETBV',
  WBINVD: 'WBINVD',
};

/** 2.6.3x `vmx_exit_reasons_str`: lower-case strings that are not just the lower-cased EXIT_REASON_* name. */
const OLD_VMX_STRINGS: Readonly<Record<string, string>> = {
  exception: 'EXCEPTION_NMI',
  ext_irq: 'EXTERNAL_INTERRUPT',
  rdmsr: 'MSR_READ',
  wrmsr: 'MSR_WRITE',
  halt: 'HLT',
  hypercall: 'VMCALL',
  interrupt_window: 'PENDING_INTERRUPT',
  tpr_below_thres: 'TPR_BELOW_THRESHOLD',
};

/** The kernel's SVM_EXIT_REASONS strings that differ from the lower-cased SVM_EXIT_* suffix. */
const SVM_STRINGS: Readonly<Record<string, string>> = {
  interrupt: 'INTR',
  io: 'IOIO',
  hypercall: 'VMMCALL',
  invalid_guest_state: 'ERR',
  write_efer_trap: 'EFER_WRITE_TRAP',
  read_idtr: 'IDTR_READ',
  read_gdtr: 'GDTR_READ',
  read_ldtr: 'LDTR_READ',
  read_rt: 'TR_READ',
  write_idtr: 'IDTR_WRITE',
  write_gdtr: 'GDTR_WRITE',
  write_ldtr: 'LDTR_WRITE',
  write_rt: 'TR_WRITE',
  'idle-halt': 'IDLE_HLT',
  buslock: 'BUS_LOCK',
};

/** SVM_EXIT_* suffixes that only SVM has (so a lower-case name among them says the trace is AMD). */
const SVM_ONLY = new Set([
  'INTR', 'NMI', 'SMI', 'INIT', 'VINTR', 'CR0_SEL_WRITE', 'IDTR_READ', 'GDTR_READ', 'LDTR_READ', 'TR_READ',
  'IDTR_WRITE', 'GDTR_WRITE', 'LDTR_WRITE', 'TR_WRITE', 'PUSHF', 'POPF', 'RSM', 'IRET', 'SWINT', 'PAUSE',
  'HLT', 'INVLPGA', 'IOIO', 'MSR', 'FERR_FREEZE', 'SHUTDOWN', 'VMRUN', 'VMLOAD', 'VMSAVE', 'STGI',
  'CLGI', 'SKINIT', 'ICEBP', 'MONITOR', 'MWAIT', 'MWAIT_COND', 'RDPRU', 'EFER_WRITE_TRAP', 'NPF',
  'AVIC_INCOMPLETE_IPI', 'AVIC_UNACCELERATED_ACCESS', 'VMGEXIT', 'ERR', 'IDLE_HLT', 'BUS_LOCK', 'PML_FULL',
]);
/** SVM_EXIT_* suffixes whose lower-case string VMX shares (the same exit on either architecture). */
const SVM_SHARED = new Set(['CPUID', 'INVD', 'INVLPG', 'TASK_SWITCH', 'RDTSC', 'RDPMC', 'RDTSCP', 'WBINVD', 'XSETBV', 'INVPCID', 'VMMCALL']);
const svmOnlyPattern = (suffix: string) => SVM_ONLY.has(suffix) || /^(READ|WRITE)_(CR|DR)\d+$|^CR\d+_WRITE_TRAP$|^EXCP_/.test(suffix);

function svmTarget(suffix: string): ExitTarget {
  if (/^EXCP_/.test(suffix)) return 'EXCEPTION_NMI';
  if (/^(READ|WRITE)_CR\d+$|^CR\d+_WRITE_TRAP$|^CR0_SEL_WRITE$/.test(suffix)) return 'CR_ACCESS';
  switch (suffix) {
    case 'INTR': return 'EXTERNAL_INTERRUPT';
    case 'NMI': return 'EXCEPTION_NMI';
    case 'CPUID': return 'CPUID';
    case 'HLT': case 'IDLE_HLT': return 'HLT';
    case 'INVD': return 'INVD';
    case 'VMMCALL': return 'VMCALL';
    case 'IOIO': return 'IO_INSTRUCTION';
    case 'MSR': return 'SVM_MSR';
    case 'MWAIT': case 'MWAIT_COND': return 'MWAIT_INSTRUCTION';
    case 'PAUSE': return 'PAUSE_INSTRUCTION';
    case 'AVIC_UNACCELERATED_ACCESS': return 'APIC_ACCESS';
    case 'NPF': return 'SVM_NPF';
    case 'XSETBV': return 'XSETBV';
    case 'WBINVD': return 'WBINVD';
    default: return null;
  }
}

/** arm64 exit types (ARM_EXCEPTION_*) and ESR_ELx exception classes, as perf kvm stat prints them. */
const ARM64_NAMES = new Set([
  'IRQ', 'TRAP', 'IL', 'HYP_GONE', 'EL1_SERROR', 'UNKNOWN', 'WFx', 'CP15_32', 'CP15_64', 'CP14_MR', 'CP14_LS',
  'FP_ASIMD', 'CP10_ID', 'PAC', 'CP14_64', 'BTI', 'ILL', 'SVC32', 'HVC32', 'SMC32', 'SVC64', 'HVC64', 'SMC64',
  'SYS64', 'SVE', 'ERET', 'FPAC', 'SME', 'IMP_DEF', 'IABT_LOW', 'IABT_CUR', 'PC_ALIGN', 'DABT_LOW', 'DABT_CUR',
  'SP_ALIGN', 'FP_EXC32', 'FP_EXC64', 'SERROR', 'BREAKPT_LOW', 'BREAKPT_CUR', 'SOFTSTP_LOW', 'SOFTSTP_CUR',
  'WATCHPT_LOW', 'WATCHPT_CUR', 'BKPT32', 'VECTOR32', 'BRK64', 'UNKNOWN_EC',
]);

const ARM64_TARGET: Readonly<Record<string, { target: ExitTarget; assumption?: string }>> = {
  IRQ: { target: 'EXTERNAL_INTERRUPT' },
  WFx: { target: 'HLT', assumption: 'arm64 WFx (WFI and WFE together) counted as HLT' },
  HVC64: { target: 'VMCALL' },
  HVC32: { target: 'VMCALL' },
  SYS64: { target: 'MSR_WRITE/OTHER', assumption: 'arm64 SYS64 (a trapped system register access, read or write) counted as MSR_WRITE/OTHER' },
  DABT_LOW: { target: 'EPT_VIOLATION', assumption: 'arm64 DABT_LOW (a stage-2 data abort: a fault or MMIO to an emulated device) counted as EPT_VIOLATION' },
  IABT_LOW: { target: 'EPT_VIOLATION' },
};

const vmx = (canonical: string): ExitName => ({ canonical, arch: 'intel-vmx', target: VMX_TARGET[canonical] ?? null });

/** Maps a name as a tool printed it; unknown names are kept, not modelled, with no architecture. */
export function exitName(raw: string): ExitName {
  const name = raw.trim();
  if (/^\d+$/.test(name)) {
    const vmxName = VMX_BASIC_EXIT_REASONS[Number(name)];
    return vmxName
      ? { ...vmx(vmxName), assumption: 'exit reasons given as numbers are read as VMX basic exit reasons (EXIT_REASON_*)' }
      : { canonical: name, arch: null, target: null };
  }
  const bare = name.replace(/^EXIT_REASON_/, '');
  if (VMX_NAMES.has(bare)) return vmx(bare);
  if (/^EXIT_/.test(name)) {
    // the libtraceevent kvm plugin prints SVM reasons as EXIT_<SVM_EXIT_* suffix>
    const suffix = name.slice(5);
    return { canonical: `SVM_EXIT_${suffix}`, arch: 'amd-svm', target: svmTarget(suffix) };
  }
  const arm = name.replace(/^EC_/, '');
  if (ARM64_NAMES.has(arm)) return { canonical: arm, arch: 'arm64', target: ARM64_TARGET[arm]?.target ?? null, assumption: ARM64_TARGET[arm]?.assumption };
  // SVM_EXIT_REASONS names exceptions with their mnemonic: `GP excp`, `PF excp`
  const excp = /^([A-Z]{2}) excp$/.exec(name);
  if (excp) return { canonical: `SVM_EXIT_EXCP_${excp[1]}`, arch: 'amd-svm', target: 'EXCEPTION_NMI' };
  if (name === name.toLowerCase() && /[a-z]/.test(name)) {
    const crTrap = /^write_cr(\d+)_trap$/.exec(name);
    const suffix = crTrap ? `CR${crTrap[1]}_WRITE_TRAP` : (SVM_STRINGS[name] ?? name.toUpperCase());
    if (svmOnlyPattern(suffix)) return { canonical: `SVM_EXIT_${suffix}`, arch: 'amd-svm', target: svmTarget(suffix) };
    // 2.6.3x VMX strings: a few renamed (ext_irq, halt, wrmsr), the rest the lower-cased EXIT_REASON_* name
    const oldVmx = OLD_VMX_STRINGS[name] ?? (VMX_NAMES.has(name.toUpperCase()) ? name.toUpperCase() : null);
    if (oldVmx) return SVM_SHARED.has(suffix) ? { ...vmx(oldVmx), arch: null } : vmx(oldVmx);
    if (SVM_SHARED.has(suffix)) return { canonical: `SVM_EXIT_${suffix}`, arch: null, target: svmTarget(suffix) };
  }
  return { canonical: name, arch: null, target: null };
}

/** The lab id of an SVM_EXIT_MSR from EXITINFO1 (0: RDMSR, 1: WRMSR). */
export function svmMsrTarget(info1: string | null): { target: ExitTarget; label: string } | null {
  if (info1 === null) return null;
  const v = parseHex(info1);
  if (v === 0) return { target: 'MSR_READ', label: 'read' };
  if (v === 1) return { target: 'MSR_WRITE', label: 'write' };
  return null;
}

/**
 * The lab id of an SVM_EXIT_NPF from its error code (EXITINFO1): the reserved bit (PFERR_RSVD_MASK,
 * bit 3) is set on KVM's MMIO SPTEs, so such a fault is an emulated-device access (EPT_MISCONFIG
 * on VMX); any other NPF is a missing mapping (EPT_VIOLATION).
 */
export function svmNpfTarget(info1: string | null): { target: string; label: string } | null {
  if (info1 === null) return null;
  const digits = info1.replace(/^0x/i, '');
  if (!/^[0-9a-f]+$/i.test(digits)) return null;
  return parseInt(digits.slice(-1), 16) & 8 ? { target: 'EPT_MISCONFIG', label: 'rsvd: MMIO' } : { target: 'EPT_VIOLATION', label: 'fault' };
}

function parseHex(s: string): number | null {
  const digits = s.replace(/^0x/i, '').replace(/^0+(?=.)/, '');
  return /^[0-9a-f]{1,12}$/i.test(digits) ? parseInt(digits, 16) : null;
}

/** MSR indices the lab splits MSR_WRITE by (MSR_IA32_TSC_DEADLINE, the x2APIC ICR). */
export const MSR_TSC_DEADLINE = 0x6e0;
export const MSR_X2APIC_ICR = 0x830;

export type MsrWriteKind = 'tsc-deadline' | 'x2apic-icr' | 'other';
export const MSR_WRITE_KINDS: readonly MsrWriteKind[] = ['tsc-deadline', 'x2apic-icr', 'other'];
export const MSR_WRITE_ID: Readonly<Record<MsrWriteKind, string>> = {
  'tsc-deadline': 'MSR_WRITE/TSC_DEADLINE',
  'x2apic-icr': 'MSR_WRITE/X2APIC_ICR',
  other: 'MSR_WRITE/OTHER',
};

export function msrWriteKind(msr: number): MsrWriteKind {
  return msr === MSR_TSC_DEADLINE ? 'tsc-deadline' : msr === MSR_X2APIC_ICR ? 'x2apic-icr' : 'other';
}
