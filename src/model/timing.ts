/**
 * Default timings of the live update, each with its source (a research note section) or labelled
 * an ASSUMPTION where no source gives a number. Every one can be overridden in `timing`.
 */

export interface TimingDef {
  default: string;
  description: string;
  source: string;
}

export const TIMING_DEFS = {
  preservePerVm: {
    default: '200ms',
    description: 'LIVEUPDATE_SESSION_PRESERVE_FD of guest memory (memfd) and the vmfd, per VM, while the VM runs',
    source: 'mechanics.md §7 (judgment: no published number; Hy-FiX 2.31 s for 256 GB is an upper bound)',
  },
  freeze: {
    default: '50ms',
    description: 'liveupdate_reboot(): luo_freeze() of every session, the feature check, kho_finalize()',
    source: 'mechanics.md §7 (judgment)',
  },
  kexecGap: {
    default: '8s',
    description: 'from the kexec jump to the new kernel\'s userspace opening /dev/liveupdate',
    source: 'mechanics.md §7 (Hy-FiX host reboot 7.6 s)',
  },
  earlyBoot: {
    default: '1s',
    description: 'from the kexec jump to smp_init() in the new kernel (decompress, early init, kho_populate, the FLB read)',
    source: 'ASSUMPTION',
  },
  apBringup: {
    default: '1ms',
    description: 'bringing one CPU online: add_cpu() in a live kernel, or one AP in smp_init() (parallel bring-up)',
    source: 'mechanics.md §7 (commit d7224a31d257)',
  },
  hotplugOffline: {
    default: '5ms',
    description: 'remove_cpu(): migrate tasks, timers and IRQs off the pCPU, kvm_offline_cpu() disables VMX, the CPU plays dead',
    source: 'ASSUMPTION',
  },
  ipi: {
    default: '1us',
    description: 'latency of a host IPI or NMI kick between pCPUs',
    source: 'mechanics.md §7 (bare-metal IPI, judgment)',
  },
  initSipi: {
    default: '40us',
    description: 'INIT, then two STARTUP IPIs (SIPI) to one CPU',
    source: 'mechanics.md §7 (smpboot.c: 2 × (10 + 10) µs)',
  },
  guestIpi: {
    default: '2.2us',
    description: 'virtual IPI latency between vCPUs, sender to handler (a TLB shootdown acknowledgement)',
    source: 'mechanics.md §7 (PV-IPI commit data, Skylake guest with APICv)',
  },
  knownState: {
    default: '5us',
    description: 'after a forced exit: the Caretaker serializes the vCPU into KHO (at adoption also VMCLEAR, VMXOFF)',
    source: 'ASSUMPTION',
  },
  caretakerEntry: {
    default: '4us',
    description: 'the Caretaker entry after SIPI: own GDT/IDT/CR3/stack, VMXON, VMPTRLD, VMLAUNCH',
    source: 'ASSUMPTION',
  },
  adoptPerVcpu: {
    default: '50us',
    description: 'the new kernel per vCPU: restore kvm_vcpu from KHO, feature check, install its own Caretaker, drain the trace ring',
    source: 'ASSUMPTION',
  },
  forcedExit: {
    default: '5us',
    description: 'an MMU-notifier forced exit on a detached pCPU: exit, INVEPT, re-enter',
    source: 'ASSUMPTION',
  },
  vmmPauseAck: {
    default: '5us',
    description: 'vm_suspend(): immediate_exit and a signal until every vCPU thread has left KVM_RUN',
    source: 'ASSUMPTION',
  },
  kvmRunEntry: {
    default: '5us',
    description: 'KVM_RUN entry until the vCPU executes guest code',
    source: 'ASSUMPTION',
  },
  vmmStart: {
    default: '50ms',
    description: 'the new VMM process starts, until LIVEUPDATE_IOCTL_RETRIEVE_SESSION',
    source: 'ASSUMPTION',
  },
  retrieve: {
    default: '90ms',
    description: 'RETRIEVE_SESSION and RETRIEVE_FD of memfd and vmfd, memslots and irqchip, per VM',
    source: 'mechanics.md §7 (100 ms per VM for retrieve + finish, judgment); the 90/10 split is an ASSUMPTION',
  },
  finish: {
    default: '10ms',
    description: 'LIVEUPDATE_SESSION_FINISH: each file .finish(), old Caretaker and preserved pages freed',
    source: 'mechanics.md §7 (judgment); split ASSUMPTION',
  },
  asyncStage: {
    default: '20us',
    description: 'async-run: KVM_RUN_ASYNC on one vcpufd, from the VMM thread leaving KVM_RUN to the vhost_task running the vCPU',
    source: 'ASSUMPTION',
  },
  fdHandover: {
    default: '1ms',
    description: 'async-run: the old VMM quiesces its device models and sends the fds and device state to the new VMM (SCM_RIGHTS)',
    source: 'ASSUMPTION',
  },
  vmmRestore: {
    default: '10ms',
    description: 'async-run: the new VMM receives the fds and rebuilds its device models from the handed-over state',
    source: 'ASSUMPTION',
  },
  attachPoll: {
    default: '10us',
    description: 'the attach handshake polls cb->state every step',
    source: 'orphanvm.md §7.3 (kvm_caretaker_wait_for_attach)',
  },
  attachRekick: {
    default: '1ms',
    description: 'the attach handshake re-kicks the pCPU when it has not answered (every 100 polls)',
    source: 'orphanvm.md §7.3',
  },
} as const satisfies Record<string, TimingDef>;

export type TimingKey = keyof typeof TIMING_DEFS;
export const TIMING_KEYS = Object.keys(TIMING_DEFS) as TimingKey[];

export const EXIT_CYCLE_DEFS = {
  worldSwitch: { default: 1000, description: 'VM exit + entry in hardware only; an exit that then stalls costs this', source: 'mechanics.md §7 (SplitX 2,000 cycles on Nehalem; newer parts lower)' },
  fastpath: { default: 1200, description: 'an exit handled in the fastpath (EXIT_FASTPATH_REENTER_GUEST) or by the Caretaker', source: 'mechanics.md §7 (derived; commit 1e9e2622a149)' },
  host: { default: 2500, description: "an exit through KVM's full exit path in the kernel", source: 'mechanics.md §7 (Dall17 "I/O Kernel" 2,565 cycles)' },
  userspace: { default: 6700, description: 'an exit to the VMM and back (KVM_RUN returns)', source: 'mechanics.md §7 (Dall17 "I/O User" 6,732 cycles)' },
} as const;

export type ExitCycleKey = keyof typeof EXIT_CYCLE_DEFS;
