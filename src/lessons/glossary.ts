/**
 * The glossary: words a reader meets in the lab, each explained in a sentence or two (shown on
 * hover wherever the lab shows text; docs/glossary.md lists them alphabetically). A term and its
 * aliases are matched whole-word and case-sensitively, so every spelling the lab uses is listed;
 * no spelling belongs to two terms. `concept` names the concept page that says more
 * (src/lessons/concepts.ts). Facts follow the same notes as the concept pages.
 */
import type { GlossaryTerm } from './types.ts';

export const GLOSSARY: readonly GlossaryTerm[] = [
  // the update and its plumbing
  {
    term: 'kexec',
    aliases: ['kexecs'],
    text: 'Booting a new kernel straight from the running one, without firmware. Live update uses it: the old kernel freezes what it preserves, stops the other CPUs and jumps into the new kernel.',
    concept: 'kexec',
  },
  {
    term: 'point of no return',
    text: 'The instant liveupdate_reboot() succeeds. Before it a failure unfreezes and the update is cancelled; after it the old kernel is gone, so a failure can only lose the VM.',
    concept: 'kexec-fail',
  },
  {
    term: 'liveupdate_reboot()',
    aliases: ['liveupdate_reboot'],
    text: 'Called first by kexec: freezes every file of every LUO session, serializes shared LUO data and finalizes KHO. Any failure unfreezes and the reboot returns an error.',
    concept: 'kexec',
  },
  {
    term: 'LUO',
    aliases: ['Live Update Orchestrator'],
    text: 'Live Update Orchestrator (Linux 6.19): /dev/liveupdate sessions keep chosen files (memfd, vmfd, vcpufd…) alive across kexec. Files are preserved by token and retrieved by token in the new kernel.',
    concept: 'luo-kho',
  },
  {
    term: 'KHO',
    aliases: ['Kexec HandOver'],
    text: 'Kexec HandOver: keeps chosen physical memory across kexec and describes it to the next kernel, which boots from scratch memory and gives each preserved range back to its owner.',
    concept: 'luo-kho',
  },
  {
    term: 'PRESERVE_FD',
    aliases: ['LIVEUPDATE_SESSION_PRESERVE_FD'],
    text: "The LUO session ioctl that adds a file under a token. In the converged design, preserving a vcpufd detaches that vCPU; in the prototype, preserving cpuN/preserve parks that CPU.",
    concept: 'detach',
  },
  {
    term: 'RETRIEVE_FD',
    aliases: ['LIVEUPDATE_SESSION_RETRIEVE_FD'],
    text: 'The LUO session ioctl that returns a preserved file, by token, in the new kernel. Retrieving a vcpufd is where the new kernel adopts that vCPU.',
    concept: 'adoption',
  },
  {
    term: 'LIVEUPDATE_SESSION_FINISH',
    aliases: ['FINISH'],
    text: "Declares the session restored: LUO gives up its files and frees what it kept. In the prototype this is when preserved CPUs return to Linux with add_cpu().",
    concept: 'luo-kho',
  },
  {
    term: 'vmfd',
    aliases: ['vmfds', 'kvmfd'],
    text: "The file descriptor of a VM, from KVM_CREATE_VM. Preserving it keeps the VM's guest-memory metadata and its EPT page tables across kexec.",
    concept: 'luo-kho',
  },
  {
    term: 'vcpufd',
    aliases: ['vcpufds'],
    text: 'The file descriptor of one vCPU, from KVM_CREATE_VCPU; the VMM calls KVM_RUN on it. Preserving it serializes the vCPU and, with a Caretaker, detaches it.',
    concept: 'detach',
  },
  {
    term: 'memfd',
    aliases: ['memfds', 'guest_memfd'],
    text: 'An anonymous memory file, the usual carrier of guest RAM. Preserving it in LUO keeps the guest memory in place across kexec.',
    concept: 'luo-kho',
  },
  {
    term: 'VMM',
    aliases: ['VMMs'],
    text: 'The userspace virtual machine monitor (QEMU, crosvm, the prototype\'s NanoVMM): owns the VM and vCPU fds, runs device models and calls KVM_RUN. It exits before kexec; a new one retrieves the VM.',
    concept: 'classic',
  },
  {
    term: 'blackout',
    aliases: ['blackoutNs'],
    text: 'The longest interval in which no vCPU of a VM executed guest code. About 8.7 s for a classic update in the lab, about 1.06 ms with the converged Caretaker.',
    concept: 'classic',
  },

  // CPUs and vCPUs
  {
    term: 'vCPU',
    aliases: ['vCPUs'],
    text: "A virtual CPU of a guest. It runs on a physical CPU whenever KVM or a Caretaker enters the guest on its behalf.",
    concept: 'caretaker',
  },
  {
    term: 'pCPU',
    aliases: ['pCPUs'],
    text: 'A physical CPU of the host. In the converged design each preserved vCPU has its own isolated pCPU (1:1), taken from Linux for the gap.',
    concept: 'detach',
  },
  {
    term: 'housekeeping CPU',
    aliases: ['housekeeping CPUs'],
    text: 'A CPU left to the host for its own work (CPUs 0–1 by default), as opposed to isolated CPUs (isolcpus=, an isolated cpuset) that run only what is pinned there, such as vCPUs.',
    concept: 'detach',
  },
  {
    term: 'preserved CPU',
    aliases: ['preserved CPUs', 'preserved pCPU', 'preserved pCPUs'],
    text: 'A CPU kept out of Linux across the update: offline and hidden from kexec and from the new kernel\'s smp_init(), running a Caretaker or parked until a kernel takes it back.',
    concept: 'cpu-preserved',
  },
  {
    term: 'remove_cpu()',
    aliases: ['remove_cpu'],
    text: 'Takes a CPU offline through hotplug: tasks, timers, IRQs and RCU move away, KVM disables VMX on it, and it plays dead. The detach uses it to take a pCPU from Linux.',
    concept: 'detach',
  },
  {
    term: 'add_cpu()',
    aliases: ['add_cpu'],
    text: 'Brings an offline CPU back online through hotplug (INIT/SIPI on x86). The new kernel calls it when it adopts a vCPU, the prototype at FINISH.',
    concept: 'adoption',
  },
  {
    term: 'smp_send_stop()',
    aliases: ['smp_send_stop'],
    text: 'Stops the other CPUs before the kexec jump. Preserved CPUs must not get its stop IPIs; the prototype marks them not present so it skips them.',
    concept: 'kexec',
  },
  {
    term: 'smp_init()',
    aliases: ['smp_init'],
    text: "The new kernel's bring-up of secondary CPUs, by INIT/SIPI on x86. It must skip preserved pCPUs, or it would reset them under their guests (invariant 8).",
    concept: 'init-sipi',
  },

  // signals
  {
    term: 'IPI',
    aliases: ['IPIs'],
    text: 'Inter-processor interrupt, sent through the local APIC. The lab uses them to force a vCPU out of the guest (detach, attach, invalidation); guests use them too, e.g. for TLB shootdowns.',
    concept: 'detach',
  },
  {
    term: 'NMI',
    aliases: ['NMIs'],
    text: "Non-maskable interrupt. The prototype kicks preserved CPUs with an NMI through the APIC ICR, so its Caretaker's IDT must return from NMIs cleanly.",
    concept: 'cb-state',
  },
  {
    term: 'INIT/SIPI',
    aliases: ['INIT', 'SIPI', 'SIPIs'],
    text: "INIT then two STARTUP IPIs: how x86 starts a CPU at a given address. Converged detach restarts the offlined pCPU into the Caretaker this way; INIT is blocked in VMX root operation.",
    concept: 'init-sipi',
  },

  // VMX
  {
    term: 'VM exit',
    aliases: ['VM exits', 'VM-exit'],
    text: 'The CPU leaving the guest for the hypervisor, with an exit reason (HLT, MSR_WRITE, EPT_VIOLATION…). The lab counts each as fastpath, stalled, host or userspace.',
    concept: 'fastpath',
  },
  {
    term: 'VMCS',
    aliases: ['VMCSs'],
    text: "Intel's in-memory control structure for one vCPU: guest state, host state (where an exit lands) and execution controls. AMD's equivalent is the VMCB.",
    concept: 'known-state',
  },
  {
    term: 'VMXON',
    text: 'Enters VMX operation on a CPU; VMXOFF leaves it. INIT is blocked in VMX root operation, so VMX is left before INIT/SIPI and the Caretaker does VMXON again after it.',
    concept: 'init-sipi',
  },
  {
    term: 'VMCLEAR',
    text: "Flushes a VMCS to memory and marks it clear, so it can be loaded again (VMPTRLD) elsewhere. The lab's Caretaker does it before leaving VMX at adoption.",
    concept: 'known-state',
  },
  {
    term: 'VMLAUNCH',
    text: 'Enter the guest: VMLAUNCH for a freshly loaded (clear) VMCS, VMRESUME afterwards. After INIT/SIPI the Caretaker does VMXON, VMPTRLD, VMLAUNCH.',
    concept: 'caretaker',
  },
  {
    term: 'EPT',
    aliases: ['NPT'],
    text: "Extended Page Tables (AMD: NPT): the second-level tables mapping guest-physical to host memory. They are preserved and stay live in the gap, but nothing may change them until adoption.",
    concept: 'stall',
  },
  {
    term: 'EPT_VIOLATION',
    text: 'The exit for a guest access the EPT does not map. It needs the host mm, so in the gap it stalls the vCPU until a new kernel adopts it.',
    concept: 'stall',
  },
  {
    term: 'INVEPT',
    text: "Invalidates cached EPT translations on a CPU. After the MMU notifier zaps guest mappings, each detached vCPU must INVEPT before the pages may be freed.",
    concept: 'madvise',
  },
  {
    term: 'KVM_RUN',
    text: "The ioctl a VMM thread calls on a vcpufd to run the vCPU; it returns when an exit needs userspace. Inside it, vcpu_enter_guest() enters the guest.",
    concept: 'caretaker',
  },
  {
    term: 'vcpu_enter_guest()',
    aliases: ['vcpu_enter_guest'],
    text: "KVM x86's run-loop step. Its non-preemptible part, interrupts off, entering the guest and handling fastpath exits, is what Paolo Bonzini called the Caretaker (M12).",
    concept: 'caretaker',
  },
  {
    term: 'fastpath',
    aliases: ['fastpaths', 'fast path'],
    text: "KVM's handling of a few exits with interrupts still off, re-entering the guest at once: TSC-deadline and x2APIC ICR writes, preemption timer, HLT, INVD. The Caretaker's blueprint.",
    concept: 'fastpath',
  },

  // exits and what causes them
  {
    term: 'HLT',
    text: 'The x86 instruction a guest runs when idle. In the gap the Caretaker skips the exit or runs with the HLT, PAUSE and MWAIT intercepts disabled; the prototype yields the CPU.',
    concept: 'gap',
  },
  {
    term: 'TSC deadline',
    aliases: ['TSC-deadline', 'TSC_DEADLINE', 'MSR_IA32_TSC_DEADLINE'],
    text: 'The LAPIC timer mode in which the guest writes an absolute TSC value (MSR 0x6e0). Most exits of an idle Linux guest are these writes.',
    concept: 'timers',
  },
  {
    term: 'preemption timer',
    aliases: ['VMX preemption timer', 'PREEMPTION_TIMER'],
    text: 'A VMX countdown, in TSC units, that forces a VM exit when it reaches zero. KVM emulates the guest TSC-deadline timer with it; AMD has no equivalent.',
    concept: 'timers',
  },
  {
    term: 'x2APIC ICR',
    aliases: ['ICR', 'X2APIC_ICR'],
    text: 'The interrupt command register (MSR 0x830): a guest writes it to send an IPI. KVM handles it on the fastpath; with IPIv the CPU does it without an exit.',
    concept: 'fastpath',
  },
  {
    term: 'MMIO',
    text: "Memory-mapped I/O to an emulated device, such as a virtio doorbell (an EPT_MISCONFIG exit). Like port I/O it needs the VMM's device model, so in the gap it stalls the vCPU.",
    concept: 'stall',
  },
  {
    term: 'stall',
    aliases: ['stalls', 'stalled'],
    text: 'A vCPU blocked on an exit nobody present can handle. The exit stays pending and the new KVM handles it after adoption; no exit is lost (invariant 4).',
    concept: 'stall',
  },
  {
    term: 'TLB shootdown',
    aliases: ['TLB shootdowns'],
    text: 'A guest flushing other vCPUs\' TLBs: an IPI to each, then a spin until all acknowledge. If one target is stalled, the sender executes but makes no progress.',
    concept: 'tlb-shootdown',
  },
  {
    term: 'posted interrupts',
    aliases: ['posted interrupt', 'posted-interrupt'],
    text: 'Hardware delivery of an interrupt into a running guest with no VM exit, for IPIs and, through VT-d, device MSIs. In the gap it keeps passthrough I/O working.',
    concept: 'posted-interrupts',
  },
  {
    term: 'APICv',
    text: "Intel's APIC virtualization: the CPU emulates the guest's local APIC and takes posted interrupts without a VM exit; IPIv adds ICR writes, so an IPI sender does not exit either. AMD's counterpart is AVIC.",
    concept: 'posted-interrupts',
  },

  // the Caretaker and its protocols
  {
    term: 'Caretaker',
    aliases: ['Caretakers'],
    text: "The part of KVM that runs a preserved vCPU with no host kernel: its pCPU's only software in the gap, with its own IDT, GDT, page tables and stack.",
    concept: 'caretaker',
  },
  {
    term: 'gap',
    aliases: ['Management Gap'],
    text: "The time a detached vCPU runs under its Caretaker alone: from detach, through the kexec and the new kernel's boot, until adoption. The RFC called it the Management Gap.",
    concept: 'gap',
  },
  {
    term: 'detach',
    aliases: ['detached', 'detaching'],
    text: 'Handing a vCPU from KVM to its Caretaker: IPI, known state, remove_cpu(), INIT/SIPI into the Caretaker. In the converged design it happens inside PRESERVE_FD of the vcpufd.',
    concept: 'detach',
  },
  {
    term: 'known state',
    aliases: ['known states'],
    text: 'A vCPU out of the guest, its state fully serialized, nothing running it: the only condition in which it may be replaced or read by another kernel (invariant 3).',
    concept: 'known-state',
  },
  {
    term: 'adoption',
    aliases: ['adopt', 'adopts', 'adopted'],
    text: 'The new kernel taking a vCPU back at RETRIEVE_FD: attach IPI, known state, restore from KHO, feature check, its own Caretaker installed, pCPU online.',
    concept: 'adoption',
  },
  {
    term: 'feature negotiation',
    aliases: ['feature check'],
    text: "Checking that the new kernel can run what the old one preserved (compat strings, CPU features). Failing before the point of no return cancels the update; after it, the VM is terminated.",
    concept: 'feature-negotiation',
  },
  {
    term: 'trace ring',
    aliases: ['trace rings', 'remote trace ring', 'remote ring buffer'],
    text: 'A ring buffer in KHO memory that the Caretaker alone writes during the gap and the new kernel reads after adoption. When full it overwrites its oldest records, counted as dropped.',
    concept: 'trace-ring',
  },
  {
    term: 'CCB',
    text: "The RFC's Caretaker Control Block, shared by KVM and a Caretaker loaded with KVM_SET_CARETAKER: an attachment flag (KVM_ATTACHED or KVM_DETACHED), routing pointers to KVM's exit handlers, per-guest metadata.",
    concept: 'rfc-v0',
  },
  {
    term: 'KVM_RUN_ASYNC',
    text: 'Paolo Bonzini\'s proposed ioctl: run a vCPU in a kernel thread so the VMM can hand its fds to a new VMM and exit while the guest keeps running.',
    concept: 'async-run',
  },
  {
    term: 'vhost_task',
    text: 'A kernel thread tied to a userspace process, as vhost uses. Under KVM_RUN_ASYNC each vCPU would run in one and schedule out on exits that need the VMM.',
    concept: 'async-run',
  },
  {
    term: 'MADV_FREE',
    text: "An madvise() flag telling the kernel it may reclaim private anonymous pages. Paolo Bonzini's example of userspace breaking memory a detached vCPU maps before kexec.",
    concept: 'madvise',
  },
  {
    term: 'MMU notifier',
    aliases: ['MMU notifiers', 'MMU-notifier'],
    text: "The hook by which KVM hears that host memory behind the guest is being invalidated. For a detached vCPU it must IPI its pCPU and wait before the pages go.",
    concept: 'madvise',
  },

  // the prototype
  {
    term: 'oncore',
    text: "The prototype's scheduler for preserved CPUs: each vCPU is an oncore_job on its session's FIFO run queue, time-sliced (10 ms quantum) when vCPUs outnumber CPUs.",
    concept: 'oncore',
  },
  {
    term: 'cb->state',
    aliases: ['cb state'],
    text: "The prototype's cross-kernel handshake in KHO memory: PAUSED, RUNNING, STOPPING, STOPPED (FAILED in newer kernels), changed only by compare-and-swap.",
    concept: 'cb-state',
  },
  {
    term: 'quarantine',
    aliases: ['quarantined', 'quarantining'],
    text: 'Giving up on a vCPU whose CPU never answers the reclaim handshake: after 2 s, -ETIMEDOUT. It is never forced to STOPPED, and its CPU never returns to Linux.',
    concept: 'quarantine',
  },
];
