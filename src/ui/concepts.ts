/**
 * Short explanations of the lab's concepts, each with its source, shown beside whatever the
 * details panel explains (the long form is docs/concepts.md).
 */
export interface Concept {
  title: string;
  text: string;
  source: string;
}

export const CONCEPTS = {
  classic: {
    title: 'Live update today',
    text: 'The VMM suspends the VM, preserves memory, vmfd and vcpufds in a LUO session and the host kexecs. The guest stays paused until the new VMM calls KVM_RUN: the whole kexec gap is downtime.',
    source: 'mechanics.md §1, §7; design.md §1 (classic)',
  },
  'luo-kho': {
    title: 'LUO sessions and KHO',
    text: 'LUO keeps files alive across kexec (PRESERVE_FD, freeze, RETRIEVE_FD, FINISH); KHO carries the memory they need (vCPU state, page tables, TSC offset, the trace ring, the Caretaker itself) from the old kernel to the new one.',
    source: 'mechanics.md §1–2; orphanvm.md §1.2',
  },
  kexec: {
    title: 'The kernel goes down and comes up',
    text: 'reboot(LINUX_REBOOT_CMD_KEXEC) freezes every LUO session and finalizes KHO; past that point of no return smp_send_stop() halts the other CPUs, skipping preserved ones, and the boot CPU jumps. The new kernel\'s smp_init() also skips them.',
    source: 'rfc-thread.md Phases E and G; orphanvm.md §7.1',
  },
  caretaker: {
    title: 'The Caretaker',
    text: 'Built into KVM, it is the non-preemptible part of vcpu_enter_guest(). At live update its pCPU is taken from Linux and it runs the guest alone, with its own IDT, GDT, page tables and stack, until a kernel adopts the vCPU.',
    source: 'rfc-thread.md M6, M10–M12',
  },
  'design-v2': {
    title: "The prototype's DESIGN_V2 (design-v2)",
    text: "An older write-up of the prototype: the same preserved CPUs and job scheduler, but the CCB's attachment_state is the handshake. The outgoing KVM sets DETACHED; a retrieve sets ATTACHING and kicks the job's CPU (an NMI, again every 5 ms, 2 s timeout); the Caretaker syncs the vCPU and sets ATTACHED. A cancel marks the job CANCELING (20 s budget). No cmpxchg reclaim and no whole-VM park at vmfd retrieve.",
    source: 'orphanvm.md §1.3e, §7.3',
  },
  'rfc-v0': {
    title: 'The original RFC (rfc-v0)',
    text: "M1 installed a Caretaker in every vCPU's exit path at VM creation (KVM_SET_CARETAKER) and kept it there. PRESERVE_FD flips the CCB flag to KVM_DETACHED and takes the pCPU from the OS in place; a blocking exit spin-waits on the flag; RETRIEVE_FD flips it back under the running vCPU. No known state and no feature negotiation: the thread replaced this with synchronous detach and attach handshakes.",
    source: 'rfc-thread.md §2 [RFC] (M1), M6, M10–M12',
  },
  'async-run': {
    title: 'A VMM upgrade without kexec (async-run)',
    text: "Paolo's first layers: KVM_RUN_ASYNC runs each vCPU in a kernel thread (a vhost_task), so the VMM can hand its fds to a new VMM process and exit while the guest runs on. The kernel never goes down; only exits that need the VMM (MMIO or PIO to a device model) wait until the new VMM has rebuilt its device models.",
    source: 'rfc-thread.md "Variant — the same flow without kexec" (M8, M9)',
  },
  oncore: {
    title: 'The oncore scheduler (prototype)',
    text: 'In the prototype each preserved vCPU is an oncore_job on its LUO session\'s FIFO run queue, time-sliced over the session\'s preserved CPUs. A job runs until its quantum expires (oncore.quantum_ms, 10 ms by default), the guest idles (HLT or PAUSE: ONCORE_EXIT_YIELD_IDLE) or the host signals attach; then it goes back RUNNABLE at the tail, or DEAD when reclaimed.',
    source: 'orphanvm.md §1.3c, §2',
  },
  'cpu-preserved': {
    title: 'A preserved CPU (prototype)',
    text: 'PRESERVE_FD of cpuN/preserve offlines the CPU, which parks in cpu_preserved_park_loop() instead of dying and survives the kexec outside Linux. WORKLOAD runs the oncore schedule loop; EXITING and DEAD hand it back to the host, which calls add_cpu().',
    source: 'orphanvm.md §1.3b',
  },
  detach: {
    title: 'Detaching a vCPU',
    text: 'PRESERVE_FD of the vcpufd sends an IPI; the vCPU exits and the Caretaker reaches a known state with its state in KHO; remove_cpu() offlines the pCPU; INIT/SIPI restarts it into the Caretaker, which does VMXON, VMPTRLD, VMLAUNCH.',
    source: 'rfc-thread.md Phase D (converged); walkthrough §2 steps 2–5',
  },
  gap: {
    title: 'Life in the gap',
    text: "The Caretaker handles what KVM's fastpath handles: TSC-deadline writes arm the VMX preemption timer, x2APIC ICR writes are sent, CPUID is answered from KHO; HLT is skipped or its intercept disabled; posted interrupts and IPI virtualization cause no exit at all.",
    source: 'rfc-thread.md Phase F; mechanics.md §3.3',
  },
  stall: {
    title: 'When the Caretaker cannot help',
    text: 'EPT violations, MMIO and port I/O to emulated devices, hypercalls and other MSRs need a kernel or a VMM. The vCPU stalls with the exit pending until adoption; a vCPU waiting on it (a TLB shootdown) makes no progress either.',
    source: 'rfc-thread.md Phase F and §5',
  },
  'trace-ring': {
    title: 'Tracing in the gap',
    text: 'The old kernel allocates a remote ring buffer in KHO memory; the Caretaker is its only producer in the gap; the new kernel consumes it after adoption. A full ring overwrites its oldest records, counted as dropped.',
    source: 'rfc-thread.md Phase F (Paolo M6, Pasha M10)',
  },
  adoption: {
    title: 'Adoption',
    text: "RETRIEVE_FD of a vcpufd sends an attach IPI; the Caretaker exits, serializes, does VMCLEAR and VMXOFF and parks; the new kernel restores the vCPU keeping its TSC offset, checks features, replaces the Caretaker with its own, drains the ring and onlines the pCPU. A lost IPI is re-kicked every 1 ms; after 2 s the vCPU is quarantined.",
    source: 'rfc-thread.md Phase H; orphanvm.md §1.3a, §7.3',
  },
  madvise: {
    title: 'Misbehaving userspace',
    text: 'If the old host frees guest memory a detached vCPU may map (madvise(MADV_FREE)), the MMU notifier must IPI that pCPU to force an exit and flush before the pages are freed.',
    source: 'rfc-thread.md Phase E (Paolo M12); walkthrough §6.3',
  },
  invariants: {
    title: 'Invariants',
    text: 'Ten rules the engine checks as the run goes: pCPU ownership, where guest code may run, known states, no lost exits or trace records, IPI accounting, no freeing of mapped pages, no INIT/SIPI to preserved pCPUs, monotonic guest time, KHO reads.',
    source: 'design.md §6',
  },
} as const satisfies Record<string, Concept>;

export type ConceptKey = keyof typeof CONCEPTS;
