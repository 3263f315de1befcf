/**
 * The Caretaker core: what happens to each guest exit, by where the vCPU runs (attached to a live
 * KVM, or detached under its Caretaker in the gap), the architecture and the policy. Mirrors the
 * blueprint of vmx_exit_handlers_fastpath() / svm_exit_handlers_fastpath() (mechanics.md §3.3)
 * and walkthrough §5's table for `converged`. Pure: the engine turns these into per-vCPU tables
 * once per mode change, so the hot path is a table lookup.
 */
import { Disp, NUM_EXITS, X, type Arch } from './exits.ts';
import type { ResolvedScenario } from './scenario.ts';

export const MODE_ATTACHED = 1;
export const MODE_GAP = 2;

export interface CoreConfig {
  /** Whose Caretaker handles the gap: the thread's (converged) or the prototype's (rfcv1). */
  design: string;
  arch: Arch;
  policy: 'fastpath' | 'strict';
  hlt: 'skip' | 'disable-intercepts';
  timers: 'auto' | 'block';
  apicFastpath: boolean;
  /** IPIs between running vCPUs without exits: Intel APICv+IPIv, AMD AVIC, arm64 GICv4.1 vSGI. */
  ipiVirt: boolean;
}

export function coreConfig(sc: ResolvedScenario): CoreConfig {
  const f = sc.host.features;
  const arch = sc.host.arch;
  const ipiVirt = arch === 'intel-vmx' ? f.apicv && f.ipiv : arch === 'amd-svm' ? f.avic : f.gicv41;
  return { design: sc.design, arch, policy: sc.caretaker.policy, hlt: sc.caretaker.hlt, timers: sc.caretaker.timers, apicFastpath: sc.caretaker.apicFastpath, ipiVirt };
}

/**
 * An exit of a vCPU running under a live KVM (vcpu_enter_guest()): the fastpath handles
 * TSC-deadline and x2APIC ICR writes, the preemption timer and INVD; MMIO and PIO to device
 * models go to the VMM; the rest go through KVM's full exit path.
 */
export function attachedDisposition(kind: number, c: CoreConfig): Disp {
  // rfc-v0: the permanent shim answers CPUID from the VMM's precomputed .data even while attached
  if (kind === X.CPUID && c.design === 'rfc-v0') return Disp.FASTPATH;
  switch (kind) {
    case X.TSC_DEADLINE:
      return c.arch === 'arm64' ? Disp.NONE : Disp.FASTPATH;
    case X.X2APIC_ICR:
      if (c.ipiVirt) return Disp.NONE;
      return c.arch === 'arm64' ? Disp.HOST : Disp.FASTPATH;
    case X.PREEMPTION_TIMER:
      return c.arch === 'intel-vmx' ? Disp.FASTPATH : Disp.HOST;
    case X.INVD:
      return c.arch === 'arm64' ? Disp.NONE : Disp.FASTPATH;
    case X.EPT_MISCONFIG:
    case X.IO_INSTRUCTION:
      return Disp.USERSPACE;
    default:
      return Disp.HOST;
  }
}

/**
 * An exit of a detached vCPU in the gap, handled by the Caretaker alone (walkthrough §5,
 * `converged`; other designs below). Under `async-run` the gap is the time no VMM holds the fds. With the `strict` policy every exit but HLT/PAUSE/MWAIT blocks, as in the PoC
 * (rfc-thread.md M10). A blocking exit stalls the vCPU until a kernel adopts it.
 */
export function gapDisposition(kind: number, c: CoreConfig): Disp {
  // DESIGN_V2 runs the same preserved runtime; its exit table is taken to be the prototype's (ASSUMPTION)
  if (c.design === 'rfcv1' || c.design === 'design-v2') return prototypeGapDisposition(kind, c);
  if (c.design === 'rfc-v0') return rfcGapDisposition(kind, c);
  if (c.design === 'async-run') {
    // no kernel gap, only a VMM gap: the kernel handles its exits; one that needs the VMM waits for the new one
    const d = attachedDisposition(kind, c);
    return d === Disp.USERSPACE ? Disp.STALLED : d;
  }
  switch (kind) {
    case X.EXTERNAL_INTERRUPT:
      return Disp.NONE; // an offline pCPU gets no host interrupts
    case X.HLT:
    case X.PAUSE:
    case X.MWAIT:
      return c.hlt === 'disable-intercepts' ? Disp.NONE : Disp.FASTPATH;
    case X.X2APIC_ICR:
      if (c.ipiVirt) return Disp.NONE; // IPIv, AVIC or GICv4.1 deliver it in hardware
      if (c.policy === 'strict') return Disp.STALLED;
      if (c.arch === 'arm64') return Disp.FASTPATH; // trap ICC_SGI1R_EL1, inject the SGI, kick the target
      return c.apicFastpath ? Disp.FASTPATH : Disp.STALLED; // kvm_x2apic_icr_write_fast()
    case X.TSC_DEADLINE:
      if (c.arch === 'arm64') return Disp.NONE; // CNTV_CVAL_EL0 is not trapped
      if (c.policy === 'strict' || c.timers === 'block') return Disp.STALLED;
      return c.arch === 'intel-vmx' ? Disp.FASTPATH : Disp.STALLED; // SVM needs an hrtimer: none in the gap
    case X.PREEMPTION_TIMER:
      if (c.arch === 'amd-svm') return Disp.NONE; // SVM has no preemption timer
      if (c.policy === 'strict' || c.timers === 'block') return Disp.STALLED;
      return Disp.FASTPATH; // inject the timer vector and re-enter
    default:
      break;
  }
  if (c.policy === 'strict') return Disp.STALLED;
  switch (kind) {
    case X.CPUID:
      return Disp.FASTPATH; // answered from the kvm_cpuid2 preserved in KHO
    case X.INVD:
      return c.arch === 'arm64' ? Disp.NONE : Disp.FASTPATH;
    default:
      return Disp.STALLED; // EPT violations, MMIO, PIO, hypercalls, other MSRs: blocking
  }
}

/**
 * The prototype's table (orphanvm.md §3, "Per-Platform VM-Exit Table in RFCv1"; walkthrough §5
 * rfcv1 column): HLT/PAUSE/WFx yield (YIELD_IDLE), CPUID runs natively, safe MSRs are emulated,
 * INVD/WBINVD are stepped on SVM, arm64 injects SGIs; everything else is ONCORE_EXIT_STALL.
 */
function prototypeGapDisposition(kind: number, c: CoreConfig): Disp {
  switch (kind) {
    case X.EXTERNAL_INTERRUPT:
      return Disp.NONE;
    case X.HLT:
    case X.PAUSE:
    case X.MWAIT:
      return Disp.FASTPATH; // ONCORE_EXIT_YIELD_IDLE
    case X.X2APIC_ICR:
      if (c.ipiVirt) return Disp.NONE; // IPIv in silicon
      return c.arch === 'arm64' ? Disp.FASTPATH : Disp.STALLED; // arm64 traps ICC_SGI1R_EL1, injects the SGI; x86 without IPIv stalls
    case X.TSC_DEADLINE:
      return c.arch === 'arm64' ? Disp.NONE : Disp.FASTPATH; // a "safe MSR" (ASSUMPTION: STATUS's in-gap progress needs it)
    case X.PREEMPTION_TIMER:
      return c.arch === 'amd-svm' ? Disp.NONE : Disp.FASTPATH;
    case X.CPUID:
      return c.arch === 'arm64' ? Disp.STALLED : Disp.FASTPATH; // native CPUID
    case X.MSR_READ:
      return c.arch === 'arm64' ? Disp.STALLED : Disp.FASTPATH; // safe MSR reads (ASSUMPTION)
    case X.INVD:
    case X.WBINVD:
      return c.arch === 'amd-svm' ? Disp.FASTPATH : Disp.STALLED; // INSN_STEP on SVM only
    default:
      return Disp.STALLED; // UNHANDLED: leave RIP, ONCORE_EXIT_STALL
  }
}

/**
 * The original RFC's gap (rfc-thread.md Phase F, [RFC] column; walkthrough §5 rfc-v0 column):
 * timer and APIC writes are acknowledged in place, IPIs go through APICv/AVIC/GICv4.1 or are
 * emulated, HLT halts the core until the next guest interrupt, CPUID and safe MSR reads come from
 * precomputed data; anything that needs KVM or the VMM spin-waits on the CCB flag.
 */
function rfcGapDisposition(kind: number, c: CoreConfig): Disp {
  switch (kind) {
    case X.EXTERNAL_INTERRUPT:
      return Disp.NONE; // offline to the OS: no host interrupts are routed here
    case X.HLT:
    case X.PAUSE:
    case X.MWAIT:
      return Disp.FASTPATH; // HLT halts the physical core until the next guest-bound interrupt
    case X.X2APIC_ICR:
      return c.ipiVirt ? Disp.NONE : Disp.FASTPATH; // else the Caretaker sets the target's pending interrupt
    case X.TSC_DEADLINE:
      return c.arch === 'arm64' ? Disp.NONE : Disp.FASTPATH; // "acknowledged" in place
    case X.PREEMPTION_TIMER:
      return c.arch === 'amd-svm' ? Disp.NONE : Disp.FASTPATH;
    case X.CPUID:
    case X.MSR_READ:
      return Disp.FASTPATH; // precomputed answers in the shared metadata pages
    default:
      return Disp.STALLED; // INVD, other MSR writes, EPT, MMIO, PIO, hypercalls: spin-wait
  }
}

/** The disposition of every exit kind in a mode, as a table the hot path indexes. */
export function dispositionTable(mode: number, c: CoreConfig): Uint8Array {
  const t = new Uint8Array(NUM_EXITS);
  for (let k = 0; k < NUM_EXITS; k++) t[k] = mode === MODE_GAP ? gapDisposition(k, c) : attachedDisposition(k, c);
  return t;
}
