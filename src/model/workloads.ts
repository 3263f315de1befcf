/**
 * Named guest workload profiles: per-vCPU exit rates by exit kind, each from real data named in
 * its source. Device-driven exits (MMIO, PIO) are not in profiles: they come from the VM's
 * emulated devices, so a VM without one has none (walkthrough §1).
 */

export interface WorkloadProfile {
  id: string;
  title: string;
  /** Exits per second per vCPU, by exit id. */
  rates: Readonly<Record<string, number>>;
  source: string;
}

const per = (count: number, seconds: number) => Math.round((count / seconds) * 10) / 10;

export const PROFILES: readonly WorkloadProfile[] = [
  {
    id: 'idle',
    title: 'Idle or lightly busy Linux guest: timer programming and HLT',
    rates: { 'MSR_WRITE/TSC_DEADLINE': 1400, HLT: 540, PREEMPTION_TIMER: 20, EXTERNAL_INTERRUPT: 10 },
    source:
      'mechanics.md §7 (bcc kvmexit example ≈2,000/s: MSR_WRITE 70 %, HLT 27 %, PREEMPTION_TIMER 1 %, EXTERNAL_INTERRUPT 0.5 %); ' +
      'MMIO/PIO left to emulated devices and every MSR_WRITE taken as MSR_IA32_TSC_DEADLINE (realdata.md §2.1), as walkthrough §1',
  },
  {
    id: 'cpu-bound',
    title: 'One CPU-bound thread (sysbench cpu)',
    rates: {
      'MSR_WRITE/TSC_DEADLINE': per(9167, 22.66),
      EXTERNAL_INTERRUPT: per(5877, 22.66),
      PREEMPTION_TIMER: per(5728, 22.66),
      HLT: per(2232, 22.66),
      CPUID: per(2160, 22.66),
      PAUSE_INSTRUCTION: per(390, 22.66),
      EOI_INDUCED: per(37, 22.66),
      EXCEPTION_NMI: per(4, 22.66),
    },
    source:
      'real-exits/perf-kvm-stat-intel-sysbench-cpu-0xba1a-blog-2020.txt (25,898 exits in 22.66 s; EPT_MISCONFIG left to devices; ' +
      'MSR_WRITE taken as TSC_DEADLINE; the VM-wide rate taken per vCPU: ASSUMPTION)',
  },
  {
    id: 'ipi-heavy',
    title: 'Scheduler-heavy guest (hackbench): reschedule IPIs dominate',
    rates: { 'MSR_WRITE/X2APIC_ICR': 18000, HLT: 1400, 'MSR_WRITE/TSC_DEADLINE': 600 },
    source:
      'real-exits/perf-kvm-stat-intel-hackbench-ipi-msr-write-lkml-wanpengli-2019.txt (ICR writes 90–93 % of exits); ' +
      'the 20,000/s rate and the rest of the mix are an ASSUMPTION within realdata.md §2.1 (100k–500k/s per VM)',
  },
];

export const PROFILE_IDS = PROFILES.map((p) => p.id);

export function profileById(id: string): WorkloadProfile | undefined {
  return PROFILES.find((p) => p.id === id);
}
