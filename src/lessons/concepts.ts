/**
 * The concept pages: what the lab shows, in the kernel's words, each with where it comes from and
 * the lessons that show it. The details panel shows a concept's `summary` beside a mark of its
 * kind; the Concepts view and docs/concepts/<id>.md (written by scripts/write-concepts.ts) show
 * the whole page.
 *
 * Sources are the lab's research notes (../shared/research/): rfc-thread.md (the LKML thread,
 * messages M1–M12), orphanvm.md (the author's prototype, soleen/orphanvm), mechanics.md (LUO, KHO
 * and KVM as merged, with cited numbers), plus ../shared/design.md and ../shared/walkthrough.md
 * (the lab's own contracts and reference run). A kernel file or document is cited only where a
 * note cites it, and the note is named with it. "ASSUMPTION" marks a choice the lab made where no
 * source decides.
 *
 * Text conventions: plain text; `backticks` mark code (functions, ioctls, fields, constants).
 * Every identifier with an underscore is in backticks, so the Markdown pages render it as written.
 */
import type { Concept } from './types.ts';

export const CONCEPT_LIST: readonly Concept[] = [
  {
    id: 'classic',
    title: 'Live update today',
    summary:
      'A live update with LUO today suspends the guest: the VMM stops its vCPU threads, hands guest memory, the vmfd and the vcpufds to a LUO session, and the host kexecs. Nothing runs the guest until a new kernel has booted and a new VMM calls `KVM_RUN` again, so the whole kexec gap is guest downtime: about 8.7 s in the lab\'s default run.',
    body: [
      'The sequence: the VMM suspends the VM (the prototype\'s NanoVMM sets `run->immediate_exit=1` and sends `SIGUSR1` to every vCPU thread, re-signalling every 5 ms until each has left `KVM_RUN`: orphanvm.md §1.4 step 4). It opens `/dev/liveupdate`, creates a session (`LIVEUPDATE_IOCTL_CREATE_SESSION`) and preserves guest memory, the vmfd and each vcpufd with `LIVEUPDATE_SESSION_PRESERVE_FD`. Then the host runs `reboot(LINUX_REBOOT_CMD_KEXEC)`. In the new kernel a new VMM gets the session back (`LIVEUPDATE_IOCTL_RETRIEVE_SESSION`), retrieves each file by its token (`LIVEUPDATE_SESSION_RETRIEVE_FD`), calls `KVM_RUN` and ends with `LIVEUPDATE_SESSION_FINISH` (mechanics.md §1.3).',
      'What is merged and what is not: LUO was merged for Linux 6.19 together with memfd preservation, memfd being the usual carrier of guest RAM (mechanics.md §1.1). Preserving a vmfd and its vcpufds is layer 1 of the prototype (`kvm_luo`, `KVM_CAP_VCPU_PRESERVE`), which on its own gives a "RAM-only" suspend: the vCPUs are frozen in RAM across the kexec and no CPU is preserved (orphanvm.md §1.1). The lab\'s `classic` design is that RAM-only flow, the baseline every other design is compared with.',
      'The cost is the whole wait. In the lab\'s default run (walkthrough.md §4) the vCPUs are paused from 1.000005 s; the preserve takes 200 ms and the freeze 50 ms (both judgments, mechanics.md §7), the jump to the new kernel\'s userspace 8 s (mechanics.md §7, after Hy-FiX\'s measured 7.6 s host reboot), and retrieving the VM about 100 ms: `blackoutNs` = `pauseNs` = 8,690,000,000. Operators report the same order: the prototype\'s `DESIGN_V2` calls the classic blackout "5-to-30-second", and Azure\'s memory-preserving reboot pauses VMs for what its blog gives as "typically, 30 se…" (text truncated; mechanics.md §5.4).',
      'Nothing the guest does runs in that window: no timer fires, no packet is answered, no vCPU executes an instruction. Its time does not run backwards, because the TSC offset and kvmclock are preserved (invariant 9), but it jumps forward by the whole pause and every timer it armed fires late.',
      'Meanwhile the isolated pCPUs that ran the guest sit idle under the old kernel, then go down with it. The Caretaker idea starts here: separate who owns the VM\'s resources (LUO and KHO) from who executes it, and let those pCPUs keep running the guest while the host reboots (rfc-thread.md §3, "Orphaned VM").',
    ],
    sources: [
      { ref: 'mechanics.md §1.3', what: 'the /dev/liveupdate uAPI: sessions, PRESERVE_FD, RETRIEVE_FD, FINISH' },
      { ref: 'orphanvm.md §1.1', what: 'layer 1 (kvm_luo): vmfd and vcpufd preservation, RAM-only mode' },
      { ref: 'walkthrough.md §4', what: 'the classic run instant by instant, blackout 8.69 s' },
      { ref: 'mechanics.md §7', what: 'default timings: 8 s kexec gap (Hy-FiX 7.6 s), preserve, retrieve' },
    ],
    lessons: ['classic-cost'],
  },
  {
    id: 'luo-kho',
    title: 'LUO sessions and KHO',
    summary:
      'LUO (the Live Update Orchestrator) keeps chosen files alive across kexec: a session holds them by token, freezes them at reboot and hands them back in the new kernel. KHO (Kexec HandOver) carries the physical memory they need, such as guest RAM, EPT pages, vCPU state, the trace ring and the Caretaker\'s code, and tells the new kernel where it is.',
    body: [
      'LUO is a misc device, `/dev/liveupdate`, that only one process may hold open (a second open gets `-EBUSY`); Google\'s `luod` is such an agent, handing session fds to VMMs over Unix sockets. `LIVEUPDATE_IOCTL_CREATE_SESSION` makes a named session (names up to 64 bytes); on its fd `LIVEUPDATE_SESSION_PRESERVE_FD` adds a file under a token unique in the session, `LIVEUPDATE_SESSION_RETRIEVE_FD` returns it by token in the new kernel, in any order, and `LIVEUPDATE_SESSION_FINISH` ends LUO\'s ownership. Limits: 744 sessions, 128 files per session (mechanics.md §1.3).',
      'Each kind of file plugs in a `struct liveupdate_file_ops`: `preserve` does the heavy work while the workload still runs, `freeze` runs inside the reboot, `unpreserve` undoes a preserve when the session is closed before reboot, `unfreeze` rolls back a failed freeze, `retrieve` rebuilds the `struct file` in the new kernel and `finish` cleans up (mechanics.md §1.4). State shared by many files travels as FLB data (`liveupdate_flb_ops`); the prototype\'s list of preserved CPUs, `cpu_flb_v1`, is one. The merged LUO has no global state machine; the lab\'s session lane uses names for its implicit steps: CREATED, PRESERVED, FROZEN, DESERIALIZED, RETRIEVED, FINISHED (mechanics.md §1.2, §1.7).',
      'KHO keeps physical memory across kexec and describes it to the next kernel in a KHO FDT (`compatible = "kho-v1"`, a `preserved-memory-map` and one sub-tree per user): Documentation/core-api/kho/concepts.rst and `kernel/liveupdate/kexec_handover.c`, as cited in mechanics.md §2.1. Owners call `kho_preserve_folio()` and friends; KHO tracks them in per-order bitmaps, one 4 KiB bitmap per 128 MiB. The new kernel boots only from scratch regions that hold no preserved page, reserves the preserved ranges in `kho_memory_init()`, and owners take them back with `kho_restore_folio()` (mechanics.md §2.2). In the LUO era `kho_finalize()` runs inside `liveupdate_reboot()`; newer trees drop it for a "stateless" KHO (mechanics.md §2.3).',
      'What the lab preserves: per VM, guest memory, the secondary page tables (EPT roots and non-leaf pages, walked at `.freeze()` in the prototype\'s V2 design), the TSC offset and kvmclock; per vCPU, its state as `kvm_vcpu_arch_ser` (uAPI structs such as `kvm_regs`, `kvm_sregs`, `kvm_xsave`, `kvm_lapic_state`, the MSRs and `kvm_cpuid2`) and its trace ring; once, the Caretaker\'s own `.text.cpu_preserved` and `.data.cpu_preserved` (orphanvm.md §1.1, §1.2). Invariant 10 checks that the new kernel reads only what the old one preserved.',
      'The handover format is versioned by compatible strings (`luo-v1`, `kvm_vcpu_luo_v1`, `cpu_fh_v1`…). Any change to a layout bumps the version, compatibility is promised only between kernels of the same version, and an incompatible pair is meant to be detected and refused, not translated (mechanics.md §1.6, orphanvm.md §1.6).',
    ],
    sources: [
      { ref: 'mechanics.md §1.2–1.4', what: 'LUO sessions, file callbacks, limits, the merged design without a global state machine' },
      { ref: 'Documentation/core-api/kho/concepts.rst (cited in mechanics.md §2.1)', what: 'KHO FDT, preserved memory, scratch areas' },
      { ref: 'orphanvm.md §1.2', what: 'what the prototype serializes into KHO for a VM, a vCPU and a CPU' },
      { ref: 'orphanvm.md §1.6', what: 'compatible strings and the KHO ABI versioning rule' },
    ],
    lessons: ['luo-kho'],
  },
  {
    id: 'kexec',
    title: 'The kernel goes down and comes up',
    summary:
      '`reboot(LINUX_REBOOT_CMD_KEXEC)` first calls `liveupdate_reboot()`, which freezes every LUO session and finalizes KHO; once that succeeds there is no way back. The boot CPU then stops the other CPUs and jumps into the staged kernel, which boots from KHO scratch memory. Preserved pCPUs must be skipped by both the stop and the new kernel\'s `smp_init()`.',
    body: [
      'The next kernel is staged beforehand with the in-kernel file loader (`kexec -s -l`), which KHO requires, on a kernel booted with `kho=on` and `liveupdate=` (mechanics.md §1.1, §2.1). The prototype\'s harness stages the kernel with a command line that names no guest, syncs the disks and runs `kexec -e` (orphanvm.md §1.4 steps 10–11).',
      '`kernel_kexec()` calls `liveupdate_reboot()` before the reboot notifiers and device shutdown, precisely so that a failure can still be reported to userspace and undone. It freezes every file of every outgoing session in preservation order (`luo_session_serialize()`), serializes the FLBs and calls `kho_finalize()`; any failure unfreezes what was frozen and the reboot returns an error (mechanics.md §1.5). The lab puts its `kexec` phase, the point of no return, at the moment `liveupdate_reboot()` succeeds (walkthrough.md, phases and §7.4).',
      'Then the ordinary kexec path runs: KVM\'s syscore shutdown disables virtualization on every CPU, because on x86 VMX can block the INIT that brings CPUs back (mechanics.md §4.1); the other CPUs are stopped; the boot CPU jumps. The thread\'s answer for preserved pCPUs was that the teardown path ignores offline CPUs (rfc-thread.md Phase E, Pasha Tatashin M4). Mainline is not that simple: offline CPUs parked in `mwait_play_dead()` are kicked into a HLT loop before kexec (`smp_kick_mwait_play_dead()`, mechanics.md §4.1). The prototype therefore marks preserved CPUs not present, so `smp_send_stop()` and `native_stop_other_cpus()` send them no `REBOOT_VECTOR` and no NMI-stop (orphanvm.md §1.4 step 13).',
      'The new kernel allocates only from KHO scratch until its page allocator is up (`kho_populate()`), finds the "LUO" sub-tree in an early initcall and checks its compatible string `luo-v1` (mechanics.md §1.5, §2.2). In the prototype `cpu_preserved_flb_retrieve()` reads the preserved-CPU list and hides those CPUs before `smp_init()`, so they get no INIT/SIPI (or PSCI `CPU_ON` on arm64); `/sys/devices/system/cpu/preserved` lists them (orphanvm.md §1.4 steps 15–16). The RFC planned the same skip by parsing the LUO FLB data (rfc-thread.md Phase G, M4).',
      'How long: the lab\'s default is 8 s from the jump to the new kernel\'s userspace (mechanics.md §7). The prototype on a 480-CPU Granite Rapids host measured 82.36–114.24 s from `kexec -e` to SSH answering, and 66.10–67.42 s from orphaning to the early resume (orphanvm.md §5.5): the gap a Caretaker has to bridge can be a minute or more.',
    ],
    sources: [
      { ref: 'mechanics.md §1.5', what: 'what reboot(LINUX_REBOOT_CMD_KEXEC) does: liveupdate_reboot() first, then the kexec path; the new kernel\'s LUO start-up' },
      { ref: 'rfc-thread.md Phase E and G (M4, Pasha Tatashin)', what: 'the boot CPU drives kexec; smp_init() skips the preserved pCPUs' },
      { ref: 'orphanvm.md §1.4 (steps 10–16)', what: 'the prototype\'s kexec: stage, freeze, stop skipping non-present CPUs, hide them in the new kernel' },
      { ref: 'mechanics.md §4.1', what: 'VMX blocks INIT; smp_kick_mwait_play_dead() touches offline CPUs before kexec' },
    ],
    lessons: ['classic-cost', 'luo-kho'],
  },
  {
    id: 'caretaker',
    title: 'The Caretaker',
    summary:
      'The Caretaker is the small part of KVM that keeps a vCPU running with no host kernel behind it. The thread converged on building it into KVM; on x86 it is the non-preemptible part of `vcpu_enter_guest()`. At live update its pCPU is taken from Linux and it runs the guest alone, with its own IDT, GDT, page tables and stack, until a kernel adopts the vCPU.',
    body: [
      'Pasha Tatashin\'s RFC (M1) proposed a Caretaker supplied by the VMM as an ELF file and installed with a new ioctl, `KVM_SET_CARETAKER`, permanently in every vCPU\'s exit path. Alexander Graf (M2) found userspace-supplied code in host mode unacceptable; Paolo Bonzini (M6) called the signing scheme "-EOVERENGINEERED" and asked for it to go into the kernel, like Arm\'s nVHE hypervisor, enabled for all VMs by a module parameter. Pasha agreed (M10).',
      'What it is (Paolo, M12): on x86 the Caretaker is basically the non-preemptible portion of `vcpu_enter_guest()`, and its body is the same whether attached or detached; what changes at detach is the address space, the IDT and similar setup. In KVM that portion runs with preemption and interrupts disabled and `vcpu->mode = IN_GUEST_MODE`: it enters the guest (VMLAUNCH or VMRESUME), and when the exit handler returns `EXIT_FASTPATH_REENTER_GUEST` it goes straight back in (mechanics.md §3.1).',
      'Alone in the gap it has no host OS, no syscalls, no device access and no Linux interrupt tables (rfc-thread.md Phase F). It brings its own minimal IDT and GDT (on arm64 a vector table in `VBAR_EL2`), page tables, stack and CET shadow stack, and its handlers park the core or log a stray NMI or machine check instead of crashing. In the prototype its code lives only in `.text.cpu_preserved` and `.data.cpu_preserved`, built without stack protector, jump tables, instrumentation or return thunks, and copied out of KHO scratch into preserved pages; a stray call to `printk` fails the link as `__cpu_preserved_printk` (orphanvm.md §1.1, §1.7).',
      'It is not a stable ABI and not part of the trusted base (Paolo, M6, M12): only the KHO handover format must be stable between kernels. The new kernel replaces the old kernel\'s Caretaker with its own at adoption, which is how the Caretaker itself gets updated: "via kexec".',
      'In the lab each preserved pCPU n has a Caretaker lane Cn, which goes attached, parked, detached, stopped and replaced (walkthrough.md §2). Other designs keep the name but not the shape: `rfc-v0` installs it at VM creation and never removes it; the prototype (`rfcv1`) interposes it only while a vCPU is preserved, by retargeting `HOST_RIP` and `HOST_CR3` (orphanvm.md §1.1).',
    ],
    sources: [
      { ref: 'rfc-thread.md M6 (Paolo Bonzini)', what: 'build it into the kernel like nVHE; synchronous attach/detach; not a TCB; update via kexec' },
      { ref: 'rfc-thread.md M12 (Paolo Bonzini)', what: 'the Caretaker is the non-preemptible part of vcpu_enter_guest()' },
      { ref: 'rfc-thread.md Phase F', what: 'the environment in the gap: own IDT/GDT, no OS, no IRQ tables' },
      { ref: 'orphanvm.md §1.1', what: 'preserved sections, build rules, zero overhead outside an update' },
    ],
    lessons: ['caretaker-enter-guest'],
  },
  {
    id: 'design-v2',
    title: "The prototype's DESIGN_V2 (design-v2)",
    summary:
      'An older, longer write-up in the prototype\'s repository (`docs/DESIGN_V2.md`): the same preserved CPUs and job scheduler, but the handshake is the CCB\'s `attachment_state`. A vcpufd retrieve sets ATTACHING and kicks the job\'s CPU with an NMI, again every 5 ms for up to 2 s; the Caretaker syncs the vCPU and sets ATTACHED. The lab runs it as its own design.',
    body: [
      'The state (orphanvm.md §1.3e): `attachment_state` is `CARETAKER_KVM_ATTACHED` in normal operation and becomes `CARETAKER_KVM_DETACHED` when the outgoing KVM stages the vCPU as a `caretaker_job`. In the new kernel, after userspace has restored the memslots, KVM sets `ATTACHING` and sends `arch_cpu_preserved_kick()`: an NMI through the APIC ICR on x86, a GICv3 SGI plus SEV on arm64. The Caretaker sees `ATTACHING`, runs `ops->sync_vcpu()`, saves the GPRs and MSRs, sets `ATTACHED`, leaves its loop and parks; KVM confirms `ATTACHED` and calls `cpu_up()`.',
      'Timing: `KVM_CARETAKER_ATTACH_TIMEOUT_US` = 2,000,000 (2 s) with a re-kick every 5 ms. A cancel marks the job `CARETAKER_JOB_CANCELING` and kicks, then polls up to `CARETAKER_CANCEL_TIMEOUT_US` = 20 s in 100 µs steps, re-kicking every 5 ms, until the job is `CARETAKER_JOB_DEAD` (orphanvm.md §1.3e, §7.3).',
      'Its chains: a job goes NEW, RUNNABLE, RUNNING, CANCELING, DEAD; a pCPU goes `ONLINE`, `HOTPLUG_OFFLINING`, `PRESERVED_PARKED`, `CARETAKER_JOB_RUNNING`, `ATTACHING_SYNC_STATE`, `PRESERVED_PARKED`, `OFFLINE`, `ONLINE`. It also fixes a per-session page table of at most 128 pages (512 KB), 4 KB stacks on x86 and 8 KB on arm64, stop IPIs unicast only to non-preserved CPUs, and an 8250 or PL011 console emulated in the gap.',
      'How the lab runs it: as `rfcv1` but with this handshake. There is no `cmpxchg` fast reclaim and no parking of every CPU at the vmfd retrieve, so each vCPU runs until its own vcpufd retrieve, and a CPU stays parked until its first job exists. ASSUMPTIONS: the exit table is the prototype\'s, the job machine is the oncore one (with NEW before submit), and the CPUs come back at FINISH.',
      'How much to trust it: the digest reads `DESIGN_V2` as an alternative or intermediate text that matches the kernel code less well than `docs/design.md`, and says to treat the newest design plus the kernel as the truth (orphanvm.md §0, §7.6). rfc-thread.md Appendix A lists `DESIGN_V2`\'s job states as preserved-CPU states; orphanvm.md §0 corrects that.',
    ],
    sources: [
      { ref: 'orphanvm.md §1.3e', what: 'the ATTACHING / NMI-kick protocol, job and pCPU chains, parameters' },
      { ref: 'orphanvm.md §7.3', what: 'attach 2 s with a 5 ms re-kick; cancel 20 s in 100 µs steps' },
      { ref: 'orphanvm.md §0 and §7.6', what: 'DESIGN_V2 is older or alternative; corrections to rfc-thread.md Appendix A' },
    ],
    lessons: ['design-debate'],
  },
  {
    id: 'rfc-v0',
    title: 'The original RFC (rfc-v0)',
    summary:
      'What Pasha Tatashin\'s first message (M1) proposed: a Caretaker ELF supplied by the VMM through `KVM_SET_CARETAKER`, installed in every vCPU\'s exit path at VM creation and kept there for good. A flag in a shared Caretaker Control Block (CCB) switches it between `KVM_ATTACHED` and `KVM_DETACHED`; in the gap, exits it cannot handle spin-wait on that flag.',
    body: [
      'Installation (rfc-thread.md Phase A, [RFC]): right after creating each vcpufd the VMM passes the fd of a Caretaker ELF to `KVM_SET_CARETAKER`. The kernel parses it like `kexec_file_load()` would, with signatures required under Secure Boot or Lockdown, and places `.text`, `.data`/`.rodata` (including per-vCPU CPUID answers the VMM precomputed) and `.ccb`. It allocates a stack and a CET shadow stack and rewrites the VMCS host state: `HOST_RIP` becomes the ELF entry, so every VM exit lands in the Caretaker; `HOST_RSP`, `HOST_SSP`, `HOST_INTR_SSP_TABLE`, `HOST_GS_BASE` (the CCB) and `HOST_CR3` follow.',
      'The CCB (rfc-thread.md §3) holds three things: the Attachment State Flag, KVM Routing Pointers (physical addresses of KVM\'s exit handlers) and a pointer to Shared Configuration Metadata (CPUID masks, APIC routing, timer state, the telemetry buffer). While attached the Caretaker handles its fast path itself and trampolines everything else to KVM through the routing pointers.',
      'Detach and the gap: `LIVEUPDATE_SESSION_PRESERVE_FD` of the vcpufd offlines the core "from the OS\'s point of view" in place, with no hotplug teardown and no INIT/SIPI, sets the flag to `KVM_DETACHED` and points `HOST_IDTR` and `HOST_GDTR` at the Caretaker\'s tables (Phase D). In the gap HLT halts the core, timer writes are acknowledged, CPUID comes from precomputed data, IPIs go through APICv, AVIC or GICv4.1 or are emulated, and anything else spin-waits polling the flag while a telemetry buffer counts exits and times the spin (Phase F). `LIVEUPDATE_SESSION_RETRIEVE_FD` writes new routing pointers and flips the flag back to `KVM_ATTACHED`, under the running vCPU (Phase H).',
      'What the thread changed: Graf (M2) rejected userspace code in host mode; Paolo (M6) asked for attach and detach to be synchronous and IPI-driven, because of feature negotiation and because the IDT and GDT must be switched, and (M12) doubted routing pointers were needed at all. The prototype\'s own V0 text claims "0.000s guest downtime" on AMD, measured by coarse counter sampling (orphanvm.md §1.3f, §5.2).',
      'What the lab shows when it runs it: the new kernel rebuilds the vCPU from state serialized at preserve while the old Caretaker still runs it, so invariant 3 is reported for every vCPU that is running or has handled an exit since it was serialized, the objection behind the synchronous attach. There is no MMU-notifier kick (an `MADV_FREE` breaks invariant 7), no attach timeout, and the old kernel\'s Caretaker is never replaced. ASSUMPTION: one kick IPI brings the vCPU into its Caretaker so the host-state fields can be rewritten on its own CPU; M1 does not say how.',
    ],
    sources: [
      { ref: 'rfc-thread.md §2 Phases A–H, [RFC] column (M1, Pasha Tatashin)', what: 'KVM_SET_CARETAKER, host-state rewrite, detach in place, spin-wait, flag flip at retrieve' },
      { ref: 'rfc-thread.md §3', what: 'the CCB: attachment flag, routing pointers, shared metadata' },
      { ref: 'rfc-thread.md M2 (Alexander Graf), M6 and M12 (Paolo Bonzini)', what: 'the objections that replaced it' },
      { ref: 'orphanvm.md §1.3f', what: 'V0 in the prototype\'s repository and its "0.000s" status line' },
    ],
    lessons: ['design-debate'],
  },
  {
    id: 'async-run',
    title: 'A VMM upgrade without kexec (async-run)',
    summary:
      'Paolo Bonzini\'s first staging step (M8): `KVM_RUN_ASYNC` runs each vCPU in a kernel thread, a `vhost_task`, so the VMM can hand its fds to a new VMM process and exit while the guest keeps running. No kernel goes down; only exits that need a device model wait for the new VMM. David Woodhouse (M9): this alone gives a seamless VMM upgrade.',
    body: [
      'Where it came from: Woodhouse (M7) said the real userspace ABI question is how to have a vCPU that runs asynchronously, and asked why this is tied to kexec at all. Paolo (M8) agreed that kexec only forces a handoff and an update, and proposed layers, each building on the previous: (1) `KVM_RUN_ASYNC`, the vCPU in a `struct vhost_task` that schedules out on blocking exits; (2) handing the vmfd and vcpufds to a new mm, that is a new VMM process; (3) address-space isolation; (4) kexec serialization (rfc-thread.md, "Variant — the same flow without kexec").',
      'Woodhouse (M9): layers 1 and 2 alone allow a seamless VMM upgrade without fd-handover tricks, and guests that push most traffic through passthrough devices might see almost no steal time; layer 3 protects against the next Retbleed-style bug; layer 4 is "the holy grail". Outside kexec a detached vCPU schedules out on a blocking exit; during kexec its pCPU halts instead (M8).',
      'The lab maps a scenario onto it: `preserve` stages the VM with `KVM_RUN_ASYNC` on each vcpufd (`timing.asyncStage`, ASSUMPTION 20 µs of pause); the `kexec` step is the upgrade, in which the old VMM quiesces its device models, sends its fds and device state to the new VMM (`SCM_RIGHTS`, `timing.fdHandover`) and exits, and the new VMM starts (`timing.vmmStart`), rebuilds its device models (`timing.vmmRestore`) and takes each vCPU back into `KVM_RUN`. The phases `kexec` and `newKernelUp` stay null. In the VMM gap the kernel handles every exit as usual; only MMIO or PIO to a device model waits.',
      'A VMM without `KVM_RUN_ASYNC` (`optIn: false`) suspends the VM at the hand-over instead, so its VMM gap becomes guest downtime, still with no kernel gap. The prototype lists VMM-only live update as post-RFCv2 work and names an obstacle: a VM\'s fds are bound to `kvm->mm`, so used from a new process they return `-EIO` (orphanvm.md §6). Pasha\'s own plan (M11) keeps the kexec workflow even without kexec: preserve, offline, new VMM, retrieve, online.',
    ],
    sources: [
      { ref: 'rfc-thread.md M8 (Paolo Bonzini)', what: 'KVM_RUN_ASYNC with vhost_task and the four-layer staging' },
      { ref: 'rfc-thread.md M9 (David Woodhouse)', what: 'layers 1–2 already give a seamless VMM upgrade' },
      { ref: 'rfc-thread.md M7 (David Woodhouse)', what: 'the userspace ABI question is an asynchronous vCPU' },
      { ref: 'orphanvm.md §6', what: 'VMM-only update not done; the kvm->mm binding returns -EIO in a new process' },
    ],
    lessons: ['design-debate'],
  },
  {
    id: 'oncore',
    title: 'The oncore scheduler (prototype)',
    summary:
      'The prototype\'s scheduler for preserved CPUs. Each preserved vCPU is an `oncore_job` on its LUO session\'s FIFO run queue, time-sliced over the session\'s preserved CPUs, so M vCPUs can share N CPUs. A job runs until its quantum expires (10 ms by default), the guest idles, it stalls or the host takes it back; when no other job waits it runs tickless.',
    body: [
      'The objects (orphanvm.md §2): one `struct oncore_session` per LUO session, holding the session\'s CPU bitmap, a run queue (a lock, the `runnable` list, `nr_runnable`, `nr_total`) and `sched_config` (`quantum_ms`, `quantum_ticks`, `counter_freq_hz`); one `struct oncore_job` per vCPU, holding `run_fn` (in preserved text), its data (the control block), its state (RUNNABLE, RUNNING, CANCELING, DEAD), its preferred and last CPU, and counters `total_runs`, `total_runtime_ns`, `preemptions` and `yields`.',
      'The quantum is the early boot parameter `oncore.quantum_ms`, default `ONCORE_DEFAULT_QUANTUM_MS` = 10 ms, range 1–1000, converted once into counter ticks (`rdtsc` on x86, `CNTPCT` on arm64): a preserved CPU has no jiffies, hrtimers or softirqs. On Intel the quantum is the VMX preemption timer (exit reason 0x34), on AMD the host LAPIC timer with `INTERCEPT_INTR`, on arm64 the EL2 physical timer (orphanvm.md §2, §3).',
      'Each CPU runs `oncore_cpu_schedule_loop()`. It picks the queue\'s head if it never ran, else the first job that prefers this CPU, else the head (work stealing); computes a deadline; and calls `run_fn`. The exit reason decides what follows: `ONCORE_EXIT_QUANTUM_EXPIRED` requeues at the tail, `ONCORE_EXIT_YIELD_IDLE` (HLT, PAUSE, WFI, WFE) requeues and counts a yield, `ONCORE_EXIT_STALL` waits at low power and requeues, `ONCORE_EXIT_ATTACH_SIGNALED` and `ONCORE_EXIT_ERROR` make the job DEAD. Enqueueing kicks every CPU of the session (an NMI on x86), and a new job goes to the least-loaded CPU.',
      'Tickless or not: in the V2 design the deadline is `U64_MAX` when nothing else is runnable, so a 1:1 vCPU never takes a quantum exit; the RFCv1 kernel source always armed it, so a dedicated vCPU took a preemption-timer exit and a full `detach_serialize()` every 10 ms (orphanvm.md §2, todo item 9). The lab models the V2 behaviour: unarmed at 1:1, a 10 ms quantum as soon as another job waits.',
      'M > N: at every quantum end the vCPU is serialized (control block PAUSED), requeued, and may resume on another CPU, so `cb->pcpu_id` changes and a reclaimer kicks both the old and the current CPU. Aggregate throughput is capped at N CPUs: on Granite Rapids 8 vCPUs on 1 pCPU made 4,554 passes/s in total against 4,544 for 2 vCPUs on 2 pCPUs (orphanvm.md §5.5). The thread left this open: Pasha\'s PoC requires 1:1 (M11) and Woodhouse called scheduling when vCPUs outnumber pCPUs a future problem (M9).',
    ],
    sources: [
      { ref: 'orphanvm.md §2', what: 'oncore objects, quantum, per-CPU loop, dequeue order, M:N, stall handling' },
      { ref: 'orphanvm.md §1.3c', what: 'job states and ONCORE_EXIT_* reasons' },
      { ref: 'orphanvm.md §5.5', what: 'measured M:N throughput (8 on 1, 8 on 4, 8 on 8)' },
      { ref: 'rfc-thread.md M11 (Pasha Tatashin)', what: 'the PoC requires 1:1 vCPU to isolated pCPU' },
    ],
    lessons: ['prototype-oncore'],
  },
  {
    id: 'cpu-preserved',
    title: 'A preserved CPU (prototype)',
    summary:
      'In the prototype a physical CPU is itself a LUO file: `LIVEUPDATE_SESSION_PRESERVE_FD` of `/sys/devices/system/cpu/cpuN/preserve` offlines it through normal hotplug, but instead of dying it parks in `cpu_preserved_park_loop()` on a KHO-preserved stack and page table, hidden from kexec and from the next kernel. `LIVEUPDATE_SESSION_FINISH`, or a cancel, gives it back with `add_cpu()`.',
    body: [
      'This is the prototype\'s layer 2, `cpu_preserve` (`kernel/liveupdate/cpu_preserve.c`, `CONFIG_LIVEUPDATE_CPU`, file compatible `cpu_fh_v1`, FLB `cpu_flb_v1`). It takes a CPU away from Linux, parks it in an isolated address space, hides it from kexec\'s stop IPIs and the next kernel\'s `smp_init()`, and returns it on finish or cancel (orphanvm.md §1.1).',
      'Parking (orphanvm.md §1.3b): the kernel sets up the session\'s address space and maps the stack, then calls `remove_cpu(cpu)`, the normal hotplug path that migrates tasks, timers, IRQs and RCU away and stops the tick. In `cpuhp_ap_report_dead()` the dying CPU calls `cpu_preserved_report_dead()` and `cpu_preserved_park()` instead of `arch_cpu_idle_dead()`: it loads a standalone GDT and IDT, switches to the preserved stack and the session\'s page tables and enters `cpu_preserved_park_loop()`, waiting with PAUSE or MWAIT (WFE on arm64). The host then calls `set_cpu_present(cpu, false)`. No INIT/SIPI is involved, unlike the converged design\'s detach.',
      'Its shared state, `cpu_preserved_ser.state`: PARKED (idle in the park loop), WORKLOAD (running the oncore schedule loop), EXITING (asked to leave, by `cpu_signal_exit()` and a kick) and DEAD (left the loop). The host waits in `cpu_wait_dead()`, frees the stack, calls `set_cpu_present(cpu, true)` and `add_cpu()`. Newer kernels add PARKING, FAULTED and DETACHING. In the V2 design a CPU stays PARKED until its first job exists (todo item 1).',
      'In the new kernel `cpu_preserved_flb_retrieve()` reads the FLB in early boot and hides the preserved CPUs before `smp_init()`; the newest kernel identifies them by hardware ID and refuses the handover if a `hwid` is missing or the `arch_mode` bits (x2APIC, LA57; on arm64 page size, VA bits, VHE…) differ (orphanvm.md §1.2, §1.4 steps 15–16).',
      'Bare metal taught two rules (orphanvm.md §3): preserve whole SMT sibling pairs, because splitting them deadlocked Linux and the Caretaker in SMI and machine-check rendezvous; and request maximum HWP performance, after which the preserved cores ran at 4.2 GHz. On a 480-CPU Granite Rapids host all cores came back online after each update (orphanvm.md §5.5).',
    ],
    sources: [
      { ref: 'orphanvm.md §1.3b', what: 'park entry, cpu_preserved_ser states, kicks, low-power wait' },
      { ref: 'orphanvm.md §1.1', what: 'layer 2, cpu_preserve, and its place under oncore and the Caretaker' },
      { ref: 'orphanvm.md §1.4 (steps 7, 13–16, 23)', what: 'preserving a CPU, kexec skipping it, the new kernel hiding it, add_cpu() at finish' },
      { ref: 'orphanvm.md §3 (platform rules)', what: 'SMT sibling pairs, HWP maximum performance' },
    ],
    lessons: ['prototype-oncore'],
  },
  {
    id: 'detach',
    title: 'Detaching a vCPU',
    summary:
      'In the converged design `LIVEUPDATE_SESSION_PRESERVE_FD` of a vcpufd is a synchronous handshake: an IPI forces the vCPU out of the guest, the Caretaker reaches a known state with the vCPU\'s state in KHO, Linux offlines the pCPU with `remove_cpu()`, and INIT/SIPI restarts it into the Caretaker, detached. That vCPU pauses about 5 ms; the VM\'s other vCPUs keep running.',
    body: [
      'The handshake the thread converged on (rfc-thread.md Phase D, M6, M10, M12): the host kernel sends an IPI to the pCPU running the vCPU; the Caretaker there must reach a known state, VM-exited with consistent state; the kernel offlines that pCPU; then it sends INIT/SIPI so the pCPU re-enters the Caretaker in detached mode (Paolo Bonzini\'s addition in M12). Paolo wanted it synchronous for two reasons: feature negotiation, and the switch of IDT and GDT. The flag flip must be atomic with Linux offlining the pCPU.',
      'Before it: the vCPU must have opted in and be pinned. Paolo (M12) asked for a preparatory capability, a `KVM_ENABLE_CAP` or a new bit of `KVM_CAP_X86_DISABLE_EXITS`, and a capability check, since `LIVEUPDATE_SESSION_PRESERVE_FD` can now offline pCPUs; Pasha (M10) wanted the pCPU in an isolated cpuset, and the PoC requires one vCPU per pCPU (M11). The lab refuses a vcpufd without opt-in with `-EINVAL` and a second vCPU on one pCPU with `-EBUSY` (ASSUMPTION, walkthrough.md §7.6).',
      'The lab\'s instants (walkthrough.md §2 steps 2–5): detach IPI, 1 µs; known state, 5 µs; `remove_cpu()`, 5 ms, in which the vCPU thread leaves `KVM_RUN`, IRQs migrate, `kvm_offline_cpu()` disables VMX and the pCPU plays dead; INIT and two SIPIs, 40 µs, the modern delays of `arch/x86/kernel/smpboot.c` (mechanics.md §4.1); the Caretaker\'s entry, 4 µs: its own GDT, IDT, CR3 and stack, then VMXON, VMPTRLD and VMLAUNCH. The vCPU is paused for 5.049 ms. The offline, entry and known-state durations are ASSUMPTIONS.',
      'One vcpufd at a time: each `PRESERVE_FD` detaches one vCPU, so a multi-vCPU VM never stops as a whole and the detach windows add nothing to its blackout; a 1-vCPU VM would see 5,049,000 ns. After the last vcpufd the old VMM exits and LUO keeps its `struct file` alive (rfc-thread.md Phase E).',
      'Elsewhere: the RFC (`rfc-v0`) took the pCPU from the OS in place, without hotplug or INIT/SIPI. The prototype (`rfcv1`) preserves CPUs as LUO files, parked through the hotplug dead path without INIT/SIPI, and pauses the whole VM with `vm_suspend()` first, about 210 ms in the lab (walkthrough.md §3).',
    ],
    sources: [
      { ref: 'rfc-thread.md Phase D (M6, M10, M12)', what: 'the converged detach: IPI, known state, offline, INIT/SIPI' },
      { ref: 'rfc-thread.md M12 (Paolo Bonzini)', what: 'entry is IPI then INIT/SIPI; preparatory capability and capability check' },
      { ref: 'walkthrough.md §2 (steps 2–6)', what: 'the lab\'s detach instant by instant, 5.049 ms per vCPU' },
      { ref: 'mechanics.md §4.1', what: 'INIT/SIPI delays in smpboot.c; VMX blocks INIT' },
    ],
    lessons: ['detaching'],
  },
  {
    id: 'gap',
    title: 'Life in the gap',
    summary:
      'From detach to adoption a vCPU runs under its Caretaker alone, with no host kernel and no VMM. The Caretaker handles what KVM\'s fastpath handles (TSC-deadline writes, preemption-timer expiry, x2APIC ICR writes), answers CPUID from the preserved `kvm_cpuid2`, and skips HLT or runs with idle intercepts off. Posted interrupts and IPI virtualization cause no exit at all; every other exit stalls.',
    body: [
      'The Caretaker is alone: no host OS, no syscalls, no device access, no Linux interrupt tables (rfc-thread.md Phase F). Guest memory keeps working, because the preserved EPT stays live in hardware (orphanvm.md §1.4 step 14), but nothing may change it. Guest time runs on: the TSC offset is applied by hardware, while kvmclock is not updated.',
      'Which exits it handles was Paolo Bonzini\'s blueprint (M6): follow `vmx_exit_handlers_fastpath()` and `svm_exit_handlers_fastpath()`, move some APIC emulation into those fastpaths, and treat everything else as a blocking exit. In v6.18 the VMX fastpath covers MSR writes to `MSR_IA32_TSC_DEADLINE` and the x2APIC ICR, the preemption timer, HLT and INVD (mechanics.md §3.3). On Intel the guest\'s timer runs on the VMX preemption timer, so it keeps working with no kernel; on AMD it would need an hrtimer, which the gap lacks.',
      'CPUID is not in KVM\'s fastpath. Answering it from precomputed data comes from the RFC (M1), and nobody disputed it; the lab answers from the `kvm_cpuid2` preserved in KHO. Executing CPUID on the guest\'s behalf is no shortcut: the instruction alone costs 734–1,362 cycles on Emerald Rapids (mechanics.md §5.1).',
      'Idle: Paolo (M6) pointed out that HLT cannot really be handled while a kernel runs, since the Caretaker runs with interrupts off; in the gap it can be skipped unconditionally (Pasha Tatashin, M10) or the HLT, PAUSE, MONITOR and MWAIT intercepts disabled (Paolo, M12). The lab offers both policies, `skip` (the default) and `disable-intercepts`; since `KVM_CAP_X86_DISABLE_EXITS` must be set before vCPUs exist, the latter edits the Caretaker\'s VMCS (walkthrough.md §7.5).',
      'In numbers: the default idle workload makes about 2,000 exits a second per vCPU, after a bcc `kvmexit` trace (69.5 % MSR writes, 27.5 % HLT; mechanics.md §5.5). In the default run each vCPU handles about 11.9 k TSC-deadline writes, 4.6 k HLTs and 170 preemption-timer exits in the gap, all on the fastpath, none stalled (walkthrough.md §2 step 7).',
      'Pasha\'s minimal PoC (M10) was stricter: no exits handled in the gap but skipping HLT, timers blocking at first. The lab\'s `strict` policy reproduces it: each idle vCPU stalls at its first TSC-deadline write, about 0.7 ms after detach, and the blackout is nearly the whole gap, about 8.48 s (walkthrough.md §7.9).',
    ],
    sources: [
      { ref: 'rfc-thread.md Phase F', what: 'exit by exit, what the RFC and the thread do in the gap' },
      { ref: 'rfc-thread.md M6 (Paolo Bonzini)', what: 'the fastpath blueprint; HLT cannot be handled; timers differ by vendor' },
      { ref: 'mechanics.md §3.3', what: 'which exits KVM\'s VMX and SVM fastpaths handle (v6.18)' },
      { ref: 'walkthrough.md §5', what: 'the lab\'s dispositions per exit and design' },
    ],
    lessons: ['life-in-the-gap'],
  },
  {
    id: 'stall',
    title: 'When the Caretaker cannot help',
    summary:
      'An exit the Caretaker cannot finish alone (an EPT violation, MMIO or port I/O to an emulated device, a hypercall, an MSR outside the fastpath) blocks its vCPU until a kernel adopts it. The exit stays pending with RIP on the trapping instruction, and the new KVM handles it after `KVM_RUN`. vCPUs that wait on the stalled one stop making progress too.',
    body: [
      'Which exits (rfc-thread.md Phase F, §5): new EPT or NPT faults, since no page-table update happens in the gap; emulated MMIO and port I/O; general page faults; anything that needs KVM or a VMM. Paolo Bonzini: "by default everything is a blocking exit". The prototype\'s table marks `EPT_VIOLATION` and everything unlisted on VMX, `NPF` and `VMMCALL` on SVM, as UNHANDLED: leave the PC, return `ONCORE_EXIT_STALL` (orphanvm.md §3). Its upstream plan is a zero-exit baseline in which every synchronous exit but the quantum stalls.',
      'What the pCPU does meanwhile differs by design. In the converged design it halts during kexec (Paolo, M8). In the RFC it spin-waits polling the CCB flag, burning a core while telemetry times the stall. In the prototype the Caretaker serializes the vCPU, sets the control block PAUSED, records `stall_count`, `stall_exit_reason` and `stall_exit_rip`, and the CPU waits at low power before requeuing the job, which re-enters the guest and traps again on the same instruction (orphanvm.md §2; one kernel version re-runs it at once instead).',
      'Nothing is lost: the pending exit is handled by the new KVM once the vCPU is back in `KVM_RUN` (invariant 4). The report counts it under `stalled` for its exit reason and gives each vCPU\'s `stalledNs` and `longestStallNs`; if every vCPU of a VM stalls, the stall becomes blackout.',
      'Avoiding stalls: the RFC has the VMM pause its emulated devices and the guest rely on VFIO passthrough for I/O (Phase C); Graf (M2) suggested prefaulting the nested page tables, which Pasha made optional, and the lab\'s default VM is `prefaulted`. Virtio doorbells (`QueueNotify`) still stall; the prototype lists ideas such as RDRAND instead of virtio-rng, absorbing posted `ioeventfd` writes, a tiny virtqueue service in the Caretaker, or forwarding to a service VM or DPU (orphanvm.md §6).',
      'Stalls spread. A guest TLB shootdown waits for every target, so one stalled vCPU stops the senders\' progress; a device without posted interrupts holds its completions until adoption; on AMD without AVIC an x2APIC ICR write stalls the sender, and with no hrtimer in the gap so does a TSC-deadline write (orphanvm.md §3, rfc-thread.md Phase F).',
    ],
    sources: [
      { ref: 'rfc-thread.md Phase F', what: 'blocking exits in the gap; spin-wait (RFC) or halt (M8)' },
      { ref: 'rfc-thread.md §5', what: 'exits that cannot be handled; device completions without posted interrupts' },
      { ref: 'orphanvm.md §2 (stall handling)', what: 'ONCORE_EXIT_STALL: RIP kept, state serialized, park-wait, requeue' },
      { ref: 'orphanvm.md §3 (exit table)', what: 'the prototype\'s per-platform exit classes, UNHANDLED and CROSS_VCPU' },
    ],
    lessons: ['cannot-help'],
  },
  {
    id: 'trace-ring',
    title: 'Tracing in the gap',
    summary:
      'With no kernel running, nothing can read a trace while the gap lasts. Paolo Bonzini suggested the kernel\'s remote ring buffers: the old kernel allocates a ring in KHO memory, the Caretaker is its only producer in the gap, and the new kernel re-attaches it to tracing at adoption and reads it. The lab counts every record: produced = consumed + dropped + pending.',
    body: [
      'The converged plan (rfc-thread.md Phase F): Paolo (M6) proposed the recently added remote ring buffers; Pasha Tatashin (M10) spelled out how, and Paolo confirmed it (M12). The old kernel allocates the ring, passes its physical address to the Caretaker and preserves it in KHO; in the gap the Caretaker only produces, writing events into that memory and advancing the ring pointers; the new kernel retrieves the buffer from KHO at adoption and re-attaches it to the tracing subsystem, which reads it.',
      'Trace remotes upstream (Documentation/trace/remotes.rst, as cited in mechanics.md §4.4): a remote is a ring buffer that firmware or a hypervisor writes into memory the host kernel maps; the host is the reader. It keeps in sync by polling a shared meta-page, and does consuming reads by swapping a reader page with the head page through a callback. A remote registers `struct trace_remote_callbacks` and appears under tracefs `remotes/<name>/`; a minimal writer lives in `kernel/trace/simple_ring_buffer.c`. pKVM\'s EL2 hypervisor already traces this way, with per-CPU buffers.',
      'Before that idea: the RFC\'s telemetry buffer counted exits per reason and timed each spin-wait with the TSC, for the new KVM to export through debugfs (rfc-thread.md Phase F). The prototype has a 7-field `struct kvm_caretaker_telemetry_ser` (`total_runs`, `total_exits`, `stall_count`, `last_exit_reason`, `last_exit_rip`, `stall_exit_reason`, `stall_exit_rip`) under `CONFIG_KVM_CARETAKER_DEBUG`, reported at adoption in `/sys/kernel/debug/kvm/<pid>-<fd>/vcpu<N>/caretaker_telemetry`; remote rings remain an open item there (orphanvm.md §4). So the lab\'s `rfcv1` runs show no trace records.',
      'The lab\'s ring: one per vCPU, 32,768 records by default, one record per gap exit and one per Caretaker transition (ASSUMPTIONS, walkthrough.md §1); the default run produces and consumes about 33.3 k. A full ring overwrites its oldest records and counts them dropped (ASSUMPTION): with 4,096 records, about 16.6 k records per vCPU over 8.48 s leave about 12.5 k dropped and 4,096 consumed at adoption (walkthrough.md §6.5). Invariant 5 checks produced = consumed + dropped + pending throughout.',
    ],
    sources: [
      { ref: 'rfc-thread.md Phase F (M6 Paolo Bonzini, M10 Pasha Tatashin, M12)', what: 'the remote ring buffer with the Caretaker as its only producer' },
      { ref: 'Documentation/trace/remotes.rst (cited in mechanics.md §4.4)', what: 'trace remotes: remote writer, host reader, meta-page, reader-page swap' },
      { ref: 'orphanvm.md §4', what: 'the prototype\'s telemetry struct and debugfs file; remote rings not implemented' },
      { ref: 'walkthrough.md §6.5', what: 'a 4,096-record ring overflowing in the gap' },
    ],
    lessons: ['tracing'],
  },
  {
    id: 'adoption',
    title: 'Adoption',
    summary:
      'The new kernel takes a vCPU back in `LIVEUPDATE_SESSION_RETRIEVE_FD` of its vcpufd: an attach IPI forces a VM exit, the old Caretaker reaches a known state and parks, and the new kernel restores the vCPU from KHO keeping its TSC offset, checks features, installs its own Caretaker, drains the trace ring and onlines the pCPU. The VM resumes after its last vCPU: about 1.06 ms of blackout.',
    body: [
      'The converged attach (rfc-thread.md Phase H, M6, M10, M12): the new kernel sends an IPI to the orphaned pCPU to force a VM exit; the old Caretaker reaches a known state and serializes the VM state, through KHO in `.preserve()` and `.retrieve()` as Pasha Tatashin put it; the new kernel takes control, replaces the old Caretaker with its own version, runs feature negotiation and onlines the pCPU. If negotiation fails the VM is "terminated unceremoniously" (Paolo Bonzini).',
      'The lab\'s instants (walkthrough.md §2 steps 11–15): the new VMM retrieves the session, guest memory and the vmfd and sets up memslots and the irqchip (90 ms); then, per vcpufd, the attach IPI; the Caretaker exits, serializes, writes its last trace records, does VMCLEAR and VMXOFF and parks (5 µs); the kernel rebuilds `kvm_vcpu` from KHO keeping the TSC offset and kvmclock (invariant 9), checks features, installs its Caretaker and drains the ring (50 µs); `add_cpu()` onlines the pCPU (1 ms). Then `KVM_RUN` on every vCPU.',
      'Why the whole VM waits for its last vCPU: no cross-kernel TLB protocol lets an old Caretaker keep running while the new KVM owns the EPT (ASSUMPTION, walkthrough.md §7.2). In the default run the blackout is vCPU1\'s attach window plus the `KVM_RUN` entry, `blackoutNs` = 1,060,000, while vCPU0, adopted first, waits 2.116 ms.',
      'The handshake\'s retry numbers come from the prototype\'s kernel: the waiting kernel polls every 10 µs, re-kicks every 100 polls (about 1 ms) and gives up after 2 s (`KVM_CARETAKER_ATTACH_TIMEOUT_US`), quarantining the vCPU (orphanvm.md §1.3a). A lost attach IPI therefore costs 1 ms (walkthrough.md §6.1).',
      'The prototype adopts differently (orphanvm.md §1.4 steps 19–24): the vmfd retrieve parks every preserved CPU\'s workload (`cpu_preserved_detach_workload()`), and that is where its guest stops; each vcpufd retrieve then takes its vCPU with one `cmpxchg` PAUSED to STOPPED, restores `arch_state`, and on VMX allocates a fresh `loaded_vmcs`, loads the preserved VMCS and copies `vmx_caretaker_guest_fields[]`. The CPUs come back at FINISH, before `KVM_RUN`; the lab\'s reclaim window is 102.106 ms (walkthrough.md §3).',
      'Time across the handover: the new KVM must not reset TSC offsets or rewrite PV-clock pages with defaults (rfc-thread.md Phase G). The prototype\'s Caretaker refreshes `MSR_IA32_TSC` on exit so that `kvm_synchronize_tsc()` rebuilds the right offset at retrieve (orphanvm.md §1.2).',
    ],
    sources: [
      { ref: 'rfc-thread.md Phase H (M6, M10, M12)', what: 'the converged attach: IPI, known state, replace the Caretaker, negotiate, online' },
      { ref: 'walkthrough.md §2 (steps 11–16)', what: 'the lab\'s adoption instant by instant; blackout 1.06 ms' },
      { ref: 'orphanvm.md §1.3a', what: 'the wait loop: 10 µs polls, 1 ms re-kick, 2 s timeout' },
      { ref: 'orphanvm.md §1.4 (steps 19–24)', what: 'the prototype\'s reclamation at vmfd and vcpufd retrieve' },
    ],
    lessons: ['adoption'],
  },
  {
    id: 'madvise',
    title: 'Misbehaving userspace',
    summary:
      'Before kexec the old kernel is still alive, and so is its userspace. If it frees or remaps guest memory a detached vCPU may use (Paolo Bonzini\'s example: `madvise(MADV_FREE)`), the MMU notifier must force that vCPU out of the guest with an IPI and flush its TLB before the pages go. The prototype has no such kick: the lab reports invariant 7.',
    body: [
      'Paolo (M12): the same IPI that forces a VM exit for attach is also needed before kexec, if the old kernel does something that breaks the running VM, such as `madvise(MADV_FREE)` on its memory. Well-behaved userspace should not do this, but the kernel must handle it (rfc-thread.md §5). How the MMU-notifier path kicks a detached pCPU is one of the thread\'s open questions (rfc-thread.md §6, item 9).',
      'Why a kick is needed: the EPT stays owned by Linux and follows the existing MMU-notifier design (rfc-thread.md Phase F). When host memory backing the guest is invalidated, KVM zaps the affected EPT entries and must make sure no CPU keeps using a stale translation before the page is reused. A detached vCPU sits on an offline pCPU that no ordinary kick reaches, so the notifier has to IPI it and wait for its acknowledgement.',
      'The lab (walkthrough.md §6.3): the MMU notifier zaps the SPTEs and IPIs pCPUs 2 and 3; each vCPU exits, flushes with INVEPT and re-enters, about 6 µs, concurrently, counted as a fastpath exit; the pages are freed only after both acknowledge (invariant 7 holds). A later touch of that memory is an EPT violation that stalls until adoption. The lab treats `MADV_FREE` as any invalidation of VM-mapped memory; the real `MADV_FREE` acts only on private anonymous pages.',
      'Elsewhere: the prototype lists the kick as open and not implemented, a pre-kexec `MADV_FREE` or `munmap` having to force STOPPING and an abort (orphanvm.md §6). So under `rfcv1`, and `rfc-v0`, the lab frees the pages while a vCPU may still map them, reports invariant 7 and `caretaker-lab run` exits 1. `classic` is safe: its vCPUs are suspended, not in the guest.',
    ],
    sources: [
      { ref: 'rfc-thread.md M12 (Paolo Bonzini)', what: 'the same IPI is needed before kexec for madvise(MADV_FREE)-style breakage' },
      { ref: 'rfc-thread.md §5', what: 'misbehaving or malicious userspace before kexec' },
      { ref: 'orphanvm.md §6', what: 'MMU-notifier kicks while detached: not implemented in the prototype' },
      { ref: 'walkthrough.md §6.3', what: 'the lab\'s invalidation: zap, IPI, INVEPT, free after both acknowledgements' },
    ],
    lessons: ['madvise-free'],
  },
  {
    id: 'invariants',
    title: 'Invariants',
    summary:
      'Ten rules the engine checks as the run goes (design.md §6): one owner per pCPU, guest code only under a live KVM or a Caretaker, known states at every handover, no lost exits, conserved trace records, accounted IPIs, no freeing of mapped guest pages, no INIT/SIPI to preserved pCPUs, monotonic guest time, and KHO reads. A breach is listed with its instant and makes `caretaker-lab run` exit 1.',
    body: [
      'Who runs what: (1) a pCPU has exactly one owner at a time, the host kernel, a Caretaker or nobody (offline, parked); (2) a vCPU executes guest code only on a pCPU owned by an attached KVM of a live kernel or by a Caretaker; (3) a Caretaker is replaced, and a vCPU\'s state read by a new kernel, only in a known state (state serialized, vCPU not running).',
      'What must not get lost: (4) every exit is handled, or pending on a stalled vCPU and handled after adoption, or its VM was terminated and the report says so; (5) trace records are conserved, produced = consumed + dropped + pending; (6) every IPI, NMI kick and INIT/SIPI is delivered, or counted lost while the protocol takes its timeout path.',
      'What must not break: (7) no guest page a detached vCPU may use is freed without first forcing that vCPU out of the guest; (8) the new kernel never sends INIT/SIPI to, or onlines without adoption, a preserved pCPU; (9) guest time never runs backwards, the TSC offset and PV clock being preserved across the handover; (10) everything the new kernel reads from KHO was preserved by the old one.',
      'Each check is counted (`invariants.checked` in the report); a failure becomes an entry in `invariants.violations` with its id, instant and message, a red mark on the timeline, and exit status 1 from `caretaker-lab run`.',
      'Some designs and faults break one on purpose, to show why the converged design is shaped as it is (walkthrough.md §6): `rfc-v0` breaks 3, because it adopts under a running vCPU, and 7, with no MMU-notifier kick; `rfcv1` breaks 7 under `MADV_FREE`; a new kernel that boots with live update disabled breaks 8. A wedged pCPU shows the rules holding under stress: its re-kicks are counted lost (6), its vCPU is never forced to a known state it has not reached (3), and its pCPU is never onlined (8).',
    ],
    sources: [
      { ref: 'design.md §6', what: 'the ten invariants' },
      { ref: 'design.md §4', what: 'the RunReport: invariants.checked, violations, exit status 1' },
      { ref: 'walkthrough.md §6', what: 'the fault variants and which invariant each exercises' },
    ],
    lessons: ['madvise-free', 'cannot-help'],
  },
  {
    id: 'known-state',
    title: 'A known state',
    summary:
      'The condition in which a vCPU may change hands: it has left the guest, its complete state is serialized where the other side will read it, and nothing is running it. Paolo Bonzini required the Caretaker to reach one at every detach and attach; the prototype\'s control-block states PAUSED and STOPPED are known states. Invariant 3 forbids reading or replacing anything outside one.',
    body: [
      'In the thread (rfc-thread.md Phase D and H): on a detach or attach IPI the receiving Caretaker must reach a known state, VM-exited with consistent state, before the pCPU is offlined or the new kernel takes over. Graf (M2) had asked for the same thing as an entry point: "stop everything and serialize your state". What exactly that state is, the thread never pinned down (rfc-thread.md §6, item 2).',
      'What gets serialized, in the prototype (orphanvm.md §1.2): `struct kvm_vcpu_arch_ser`, made of uAPI structs (`kvm_regs`, `kvm_sregs`, `kvm_mp_state`, `kvm_xcrs`, `kvm_lapic_state`, `kvm_xsave`, 64-byte aligned so the Caretaker can `XSAVE64` and `XRSTOR64` in place, `kvm_vcpu_events`, `kvm_debugregs`, `kvm_clock_data`) plus the MSRs and `kvm_cpuid2`, in one KHO allocation. On VMX the preserved VMCS itself is handed over too; the new kernel loads it and copies the guest fields (orphanvm.md §3).',
      'The prototype makes the known state explicit (orphanvm.md §1.3a): `detach_serialize()` flushes the hardware state into `arch_state` before the CPU publishes PAUSED ("proactive serialization"), so PAUSED means the serialized state is complete and RUNNING means it is stale; STOPPED is terminal with valid state; FAILED may be stale, so retrieve fails and the VM is marked bugged.',
      'In the lab reaching it costs 5 µs: exit and serialize, plus VMCLEAR and VMXOFF at adoption (ASSUMPTION, walkthrough.md §1). Invariant 3 is checked at every Caretaker replacement and every state read by a new kernel. `rfc-v0` breaks it, because the new kernel rebuilds the vCPU from state serialized at preserve while the old Caretaker still runs it: the objection behind the synchronous handshake (M6, M12). A wedged pCPU never reaches one, and the kernel never pretends it did (quarantine).',
    ],
    sources: [
      { ref: 'rfc-thread.md Phase D and H (M6, M10, M12)', what: 'the Caretaker must reach a known state at detach and attach' },
      { ref: 'orphanvm.md §1.2', what: 'what the prototype serializes: kvm_vcpu_arch_ser' },
      { ref: 'orphanvm.md §1.3a', what: 'PAUSED means arch_state complete; proactive serialization' },
      { ref: 'design.md §6', what: 'invariant 3' },
    ],
    lessons: ['detaching', 'adoption'],
  },
  {
    id: 'init-sipi',
    title: 'INIT/SIPI',
    summary:
      'INIT followed by two STARTUP IPIs (SIPIs) is how x86 starts a CPU at a chosen address. In the converged design the old kernel sends INIT/SIPI to the just-offlined pCPU so it restarts in the Caretaker\'s entry, detached (Paolo Bonzini, M12); the new kernel\'s `smp_init()` must send none to preserved pCPUs, or it would reset them under their guests.',
    body: [
      'The sequence in Linux, `wakeup_secondary_cpu_via_init()` in `arch/x86/kernel/smpboot.c` (mechanics.md §4.1): clear the APIC error status, send INIT assert, wait `init_udelay`, send INIT deassert, then two STARTUP IPIs whose vector is the trampoline address shifted right by 12, each followed by short delays and an error check. `init_udelay` is 0 on modern CPUs and the legacy 10 ms of the MP Specification otherwise; each SIPI waits 10 + 10 µs (legacy 300 + 200 µs). A modern INIT-SIPI-SIPI is about 40 µs of deliberate waiting, the lab\'s default.',
      'INIT and VMX: INIT is blocked in VMX root operation, causes a VM exit in VMX non-root operation (the CPU does not reset), and is blocked in wait-for-SIPI state (Intel SDM Vol. 3 §25.2, as quoted in mechanics.md §4.1). That is why KVM\'s `kvm_shutdown()` disables virtualization on every CPU before kexec. The thread never spelled out how the INIT/SIPI entry fits with VMX (rfc-thread.md, the note after the catalogue of IPIs, and §6 item 10).',
      'The lab\'s choice (walkthrough.md §7.1): VMX is left before every INIT. At detach `kvm_offline_cpu()` does VMCLEAR and VMXOFF while the pCPU goes offline; at adoption the old Caretaker does it itself. After the SIPI the Caretaker does VMXON, VMPTRLD and VMLAUNCH. On SVM it clears `EFER.SVME` with GIF set; on arm64 PSCI `CPU_OFF` and `CPU_ON` play the same part.',
      'At boot (rfc-thread.md Phase G, M4): `smp_init()` normally sends INIT/SIPI to every secondary CPU; here it must first find the preserved pCPUs in the LUO/KHO data and skip them, so the guest keeps running while the new kernel boots. The prototype gets this from `set_cpu_present(cpu, false)` in `cpu_preserved_flb_retrieve()` (orphanvm.md §1.4 steps 15–16). Invariant 8 checks it. The lab\'s `kexec-fail-luo-disabled` preset shows the failure: a new kernel that cannot use the LUO data INIT/SIPIs the preserved CPUs, each running vCPU takes an INIT exit its Caretaker cannot handle, and the VM is lost.',
      'The prototype needs no INIT/SIPI to enter its Caretaker: its CPUs park through the hotplug dead path and stay in their park loop. Its `add_cpu()` at FINISH is the ordinary hotplug bring-up, which on x86 is the usual INIT/SIPI (orphanvm.md §1.4 step 23).',
    ],
    sources: [
      { ref: 'mechanics.md §4.1', what: 'the INIT/SIPI sequence and delays in smpboot.c; INIT in VMX root and non-root operation' },
      { ref: 'rfc-thread.md M12 (Paolo Bonzini)', what: 'entry into the detached Caretaker is IPI, then INIT/SIPI' },
      { ref: 'rfc-thread.md Phase G (M4, Pasha Tatashin)', what: 'the new kernel\'s smp_init() skips the preserved pCPUs' },
      { ref: 'walkthrough.md §7.1', what: 'the lab\'s answer to INIT vs VMX root: VMXOFF before every INIT' },
    ],
    lessons: ['detaching'],
  },
  {
    id: 'fastpath',
    title: "KVM's fastpath",
    summary:
      'KVM\'s fastpath handles a few VM exits right after the exit, with interrupts still off, and re-enters the guest without the rest of the run loop. Paolo Bonzini named it the Caretaker\'s blueprint: on VMX it covers TSC-deadline and x2APIC ICR writes, preemption-timer expiry, HLT and INVD (`vmx_exit_handlers_fastpath()`, v6.18). A fastpath exit costs about 0.5 µs in the lab.',
    body: [
      'Where it sits (mechanics.md §3.1): `vcpu_enter_guest()` disables preemption and interrupts and loops on `kvm_x86_call(vcpu_run)`. When the vendor code returns `EXIT_FASTPATH_REENTER_GUEST`, KVM syncs posted interrupts from PIR to IRR and, if no exit request is pending, goes straight back into the guest, counting only the exit. Otherwise it leaves the loop, re-enables interrupts and runs the full handler from `kvm_vmx_exit_handlers[]`. The return codes are `EXIT_FASTPATH_NONE`, `EXIT_FASTPATH_REENTER_GUEST`, `EXIT_FASTPATH_EXIT_HANDLED` and `EXIT_FASTPATH_EXIT_USERSPACE` (mechanics.md §3.2).',
      'What it handles in v6.18 (mechanics.md §3.3): on VMX `EXIT_REASON_MSR_WRITE`, `EXIT_REASON_MSR_WRITE_IMM`, `EXIT_REASON_PREEMPTION_TIMER`, `EXIT_REASON_HLT` and `EXIT_REASON_INVD` (only the preemption timer while a nested guest runs); on SVM MSR writes, HLT and INVD, given a valid `next_rip`. The MSR-write fastpath takes exactly two MSRs: the x2APIC ICR (0x830), sent at once by `kvm_x2apic_icr_write_fast()`, and `MSR_IA32_TSC_DEADLINE`, re-armed by `kvm_set_lapic_tscdeadline_msr()`. HLT re-enters only if a wake event is pending; INVD is there as a test probe.',
      'Why those: Wanpeng Li added the MSR fastpath in 2019 because ICR and TSC-deadline writes were the dominant MSR-write exits in Tencent\'s production; the IPI fastpath cut virtual-IPI latency by more than 200 cycles on Skylake (commit 1e9e2622a149, mechanics.md §3.3). For the Caretaker the same property matters: a fastpath exit needs no scheduler, no sleeping, no SRCU, nothing a missing kernel would have to provide.',
      'Costs the lab uses, at 2.5 GHz (mechanics.md §7): a bare world switch 1,000 cycles (0.4 µs), a fastpath exit 1,200 (0.48 µs), the in-kernel slow path 2,500 (1 µs), a trip to the VMM 6,700 (2.68 µs). For a light guest about 97 % of exits can take the fastpath.',
      'Paolo (M6) also asked for some APIC emulation to move into the fastpaths, which can be prototyped without any Caretaker or LUO; Pasha agreed it is a standalone effort. In the lab\'s reports "fastpath" means handled by the Caretaker or by KVM\'s fastpath without leaving it, HLT skips and oncore yields included (design.md §4).',
    ],
    sources: [
      { ref: 'mechanics.md §3.1–3.3', what: 'the shape of vcpu_enter_guest(), fastpath return codes, which exits each vendor handles' },
      { ref: 'rfc-thread.md M6 (Paolo Bonzini)', what: 'follow the existing fastpaths; move APIC emulation into them' },
      { ref: 'mechanics.md §7', what: 'exit costs: world switch, fastpath, slow path, userspace' },
      { ref: 'design.md §4', what: 'what the report counts as fastpath' },
    ],
    lessons: ['life-in-the-gap', 'caretaker-enter-guest'],
  },
  {
    id: 'timers',
    title: 'Timers in the gap',
    summary:
      'A Linux guest arms its LAPIC timer by writing `MSR_IA32_TSC_DEADLINE`. On Intel, KVM emulates that with the VMX preemption timer, which works with no host kernel, so the Caretaker can serve timers in the gap; AMD has no such timer and needs a host hrtimer, which the gap lacks, so there a timer write stalls. Guest time itself comes from the TSC, offset in hardware.',
    body: [
      'The mechanism (mechanics.md §3.6): KVM converts the guest\'s deadline into a host TSC delta, minus `timer_advance_ns`, and loads it into the VMX preemption timer; if the shifted delta does not fit in 32 bits it falls back to an hrtimer. Expiry is `EXIT_REASON_PREEMPTION_TIMER`, handled on the fastpath, which injects the timer interrupt. The prototype loads the timer with (deadline − TSC) shifted right by `IA32_VMX_MISC[4:0]`, exit reason 0x34 (orphanvm.md §3). Each guest timer costs about two exits, arm and expiry (an inference, mechanics.md §5.6).',
      'In the thread (rfc-thread.md Phase F): Paolo Bonzini (M6) noted timers differ between Intel, which can use the VMX preemption timer, and AMD, which needs a real hrtimer; Pasha Tatashin\'s PoC (M10) treats timer writes as blocking on every architecture at first, each platform adding support later, probably following its fastpath. The prototype times its quantum with the preemption timer on Intel, the host LAPIC timer plus `INTERCEPT_INTR` on AMD and the EL2 physical timer on arm64, where the guest\'s virtual timer needs no trap (orphanvm.md §3).',
      'In the lab (walkthrough.md §5): on VMX a TSC-deadline write takes the fastpath and arms the preemption timer, whose expiry injects the timer vector; on SVM the write stalls (the `amd-svm-idle` preset); on arm64 it is not trapped. The default idle workload writes the deadline about 1,400 times a second per vCPU, all its MSR writes, since in a Baidu measurement 98 % of MSR exits were TSC-deadline writes (realdata.md, via walkthrough.md §1). Under the `strict` policy the first such write stalls the vCPU, about 0.7 ms after detach.',
      'Two other clocks are not the guest\'s: the prototype\'s oncore quantum (10 ms, itself on the preemption timer, unarmed at 1:1) and the host tick, 4 ms at the default HZ=250 (mechanics.md §4.3), which a preserved pCPU no longer has: offlining it stopped its tick (orphanvm.md §1.3b).',
      'Across the handover the guest\'s clock must not move backwards: it reads the invariant TSC offset in hardware, kvmclock is not updated in the gap, and the new KVM must not reset TSC offsets or rewrite PV-clock pages (rfc-thread.md Phase F, G). The prototype preserves kvmclock in `arch_state` and restores `MSR_IA32_TSC` and `TSC_ADJUST` at retrieve (orphanvm.md §3). Invariant 9.',
    ],
    sources: [
      { ref: 'mechanics.md §3.6', what: 'the VMX preemption timer emulating the TSC-deadline timer' },
      { ref: 'rfc-thread.md Phase F (M6 Paolo Bonzini, M10 Pasha Tatashin)', what: 'Intel vs AMD timers; timers blocking in the PoC; timekeeping in the gap' },
      { ref: 'orphanvm.md §3', what: 'per-architecture quantum timers; kvmclock and TSC restored on retrieve' },
      { ref: 'walkthrough.md §5', what: 'the lab\'s TSC_DEADLINE and PREEMPTION_TIMER dispositions per architecture' },
    ],
    lessons: ['life-in-the-gap'],
  },
  {
    id: 'tlb-shootdown',
    title: 'TLB shootdowns: one stall stops others',
    summary:
      'To change a mapping other CPUs may have cached, a guest kernel sends each of them an IPI and spins until all acknowledge. If a target vCPU is stalled in the gap it never acknowledges: the sender keeps executing guest code but makes no progress. One stalled vCPU can so hold up a whole VM; the report\'s `progressNs` shows it where `blackoutNs` cannot.',
    body: [
      'The guest side: the sender writes the x2APIC ICR (MSR 0x830) once per target, or lets IPI virtualization deliver it; each target runs the flush handler and acknowledges; the sender spins until the last one has. The prototype\'s IPI-storm workload (`ovm_ipi_test.c`) provokes exactly this: every 50 passes it calls `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` and `madvise(MADV_DONTNEED)` on a private page, a TLB-shootdown IPI, forcing guest ICR writes (orphanvm.md §5.2).',
      'The IPI itself gets through in the gap where the hardware helps: with IPIv the ICR write causes no exit, and the prototype measured `stall_count == 0` with `enable_ipiv=Y`; without it the converged Caretaker sends it on the fastpath; on AMD without AVIC the prototype stalls the sender (orphanvm.md §3, walkthrough.md §5). The target is the problem: a vCPU stalled on an emulated device never runs its IPI handler until adoption.',
      'The lab\'s `tlb-shootdown-cascade` preset: vCPU0 stalls on an emulated device in the gap; the other vCPUs flush TLBs 20 times a second and spin on their acknowledgements. They are executing, so they add no blackout, but their `progressNs` stops growing until vCPU0 is adopted. The acknowledgement round trip uses the virtual-IPI latency, 2.2 µs by default (mechanics.md §5.2, §7).',
      'The thread did not discuss this coupling; Woodhouse only noted that a vCPU "might have hit an exit that couldn\'t be handled" (rfc-thread.md Phase F). It is the lab\'s reading of what a stall means for a multi-vCPU guest: `blackoutNs` counts instants in which no vCPU executes, and a spinning vCPU executes.',
    ],
    sources: [
      { ref: 'orphanvm.md §5.2', what: 'ovm_ipi_test.c: membarrier and madvise(MADV_DONTNEED) TLB-shootdown IPIs' },
      { ref: 'orphanvm.md §3 (exit table, CROSS_VCPU)', what: 'IPIs in the gap: silicon with IPIv, stall on AMD without AVIC' },
      { ref: 'mechanics.md §5.2', what: 'virtual IPI latency (2.24 µs delivery on Skylake)' },
    ],
    lessons: ['cannot-help'],
  },
  {
    id: 'posted-interrupts',
    title: 'Posted interrupts and IPI virtualization',
    summary:
      'Posted interrupts let an interrupt reach a running guest with no VM exit: the sender sets the vector in the target\'s posted-interrupt descriptor and notifies the CPU, which delivers it in hardware. With VT-d posting a device\'s MSIs arrive the same way, and IPI virtualization (IPIv, AVIC, GICv4.1 vSGI) removes the sender\'s exit too. In the gap this is what keeps a passthrough device working.',
    body: [
      'The mechanism (mechanics.md §3.6): with APICv the sender, whether another vCPU on KVM\'s fastpath, a device through VT-d posted interrupts or the host, sets the vector in the target\'s posted-interrupt request bits (PIR) and sends the notification vector; a running target takes the interrupt without a VM exit, and KVM syncs PIR into IRR before each entry. Intel\'s IPI virtualization (IPIv) goes further: the CPU emulates the guest\'s ICR writes, so the sender does not exit either. AMD\'s analogue is AVIC.',
      'Why the gap needs it (rfc-thread.md Phase F, §5): a device interrupt normally causes an exit, and the Caretaker has no Linux interrupt routing, so without posting the guest would wait forever for its I/O completions. The RFC preferred posted interrupts, AVIC or GICv4 direct injection, with a software fallback in which KVM shares its IRQ routing tables with the Caretaker.',
      'Across kexec the posting structures must survive too. The thread only implied it; the prototype\'s V2 preserves the Intel `pid_table` and `pi_desc`, keeps `PIN_BASED_POSTED_INTR`, retargets `ndst` to the Caretaker\'s CPU, toggles `sn` and syncs PIR into the virtual APIC on entry and reclaim (orphanvm.md §1.7, §6 todo item 10). Preserving the IOMMU\'s IRTE, AVIC or GICv4 tables for passthrough devices has no series yet (orphanvm.md §6).',
      'In the lab the default host has APICv, IPIv and VT-d posted interrupts, and a posted MSI causes no exit. Without posting, a device\'s completions are held until adoption (ASSUMPTION, walkthrough.md §7.8; the `device-interrupts-held` preset), and across the kexec the lab assumes posting continues. The prototype\'s measurements ran with `enable_apicv=Y` and `enable_ipiv=Y` (orphanvm.md §3).',
    ],
    sources: [
      { ref: 'mechanics.md §3.6', what: 'APICv posted interrupts, IPIv, AVIC' },
      { ref: 'rfc-thread.md Phase F', what: 'device interrupts and guest IPIs in the gap: posted, or routed by the Caretaker' },
      { ref: 'orphanvm.md §6', what: 'pid_table/pi_desc preservation (todo 10); IRTE/AVIC/GICv4 preservation open' },
      { ref: 'walkthrough.md §7.8', what: 'the lab\'s assumption for device interrupts across kexec' },
    ],
    lessons: ['cannot-help', 'life-in-the-gap'],
  },
  {
    id: 'feature-negotiation',
    title: 'Feature negotiation',
    summary:
      'The new kernel must be able to run the vCPU the old one preserved: the same CPU features, the same layout of the state in KHO. Paolo Bonzini asked for negotiation, and if it fails at adoption the VM is terminated; Pasha Tatashin wants the check before the point of no return, so the update is cancelled instead. The lab checks in `liveupdate_reboot()` and again at each vcpufd retrieve.',
    body: [
      'In the thread: Paolo (M6) made feature negotiation with the next kernel one reason attach and detach must be synchronous; if it fails, the VM is "terminated unceremoniously". Pasha (M10) wants the check to happen, ideally, before the point of no return, so the update can be aborted. The abort-or-terminate policy, and whether the handover is a stream of serialized ioctls or KHO blobs, stayed open (rfc-thread.md §6, item 4).',
      'What there is to compare (orphanvm.md §1.6): every KHO structure is `__packed` and named by a compatible string (`kvm_vm_luo_v1`, `kvm_vcpu_luo_v1`, `cpu_fh_v1`, `cpu_flb_v1`); any change bumps the version, and only kernels with the same version are compatible. The vCPU state embeds uAPI structs that may still grow; detecting that is left to generic LUO versioning work. An incompatible pair is to be detected and refused, never translated. The newest prototype kernel also refuses a handover whose `arch_mode` differs (x2APIC, LA57; arm64 page size, VA bits, LPA2, VHE, endianness) or whose CPU `hwid` it cannot find. LUO itself checks `luo-v1` and disables live update for the boot on a mismatch (mechanics.md §1.5).',
      'The lab (walkthrough.md §7.4, §6.4): the point of no return is a successful `liveupdate_reboot()`, where features are checked against compat strings and CPUID flags recorded when the kernel was staged with `kexec -s -l`. Failing there, `liveupdate_reboot()` unfreezes, the `kexec` phase stays null, and closing the session unpreserves each vCPU back into the old kernel (IPI, known state, state into `kvm_vcpu`, `add_cpu()`, `KVM_RUN`): outcome `cancelled`, blackout about 1.06 ms.',
      'Failing at a vcpufd retrieve instead, in the new kernel, there is nothing to go back to: every vCPU is stopped by an attach IPI, the VM is terminated and its pCPUs onlined, outcome `vm-terminated`. The prototype has no pre-kexec check, so it always fails there; so does a classic update, whose suspended VM is simply lost (the `classic-feature-mismatch` preset).',
    ],
    sources: [
      { ref: 'rfc-thread.md M6 (Paolo Bonzini)', what: 'negotiation needed; on failure the VM is terminated' },
      { ref: 'rfc-thread.md M10 (Pasha Tatashin)', what: 'check before the point of no return so the update can be aborted' },
      { ref: 'orphanvm.md §1.6', what: 'compatible strings, the versioning rule, arch_mode and hwid refusals' },
      { ref: 'walkthrough.md §6.4', what: 'feature mismatch before and after the point of no return in the lab' },
    ],
    lessons: ['adoption'],
  },
  {
    id: 'cb-state',
    title: 'cb->state: the prototype\'s handshake',
    summary:
      'In the prototype each preserved vCPU has a control block in KHO memory whose `state` field is the whole cross-kernel handshake: PAUSED, RUNNING, STOPPING, STOPPED (and FAILED in newer kernels), changed only by compare-and-swap. PAUSED means the serialized state is complete, so a reclaiming kernel takes a paused vCPU with one `cmpxchg` and no IPI; a running one must be kicked first.',
    body: [
      'The block is `struct kvm_caretaker_cb_ser`: `u32 state`, `pcpu_id` (the preserved CPU running it, rewritten at every quantum start; `KVM_CARETAKER_INVALID_PCPU` = `U32_MAX`) and `vcpu_id` (orphanvm.md §1.2). It lives in KHO memory shared by the preserved CPU and whichever kernel reclaims the vCPU, the incoming one at retrieve or the outgoing one on cancel.',
      'The states (orphanvm.md §1.3a): 0 `KVM_CARETAKER_PAUSED`, the initial state and the state between quanta and after a stall, with `arch_state` complete; 1 `KVM_CARETAKER_RUNNING`, live on silicon, `arch_state` stale; 2 `KVM_CARETAKER_STOPPING`, the host asked for the vCPU back and kicked its CPU; 3 `KVM_CARETAKER_STOPPED`, terminal, the host owns the vCPU; 4 `KVM_CARETAKER_FAILED`, newer kernels only, an unrecoverable fault in the preserved runtime, after which retrieve fails and the VM is marked bugged.',
      'The transitions: the preserved CPU moves PAUSED to RUNNING at quantum start, and if that `cmpxchg` fails because the host took the vCPU, `run_fn` returns `ONCORE_EXIT_ATTACH_SIGNALED` at once. It moves RUNNING to PAUSED at quantum expiry, guest idle or a stall, after `detach_serialize()` has flushed the hardware state. A reclaimer moves PAUSED to STOPPED in one `cmpxchg` (`kvm_caretaker_try_stop()`), the "0 ns reclaim", or RUNNING to STOPPING followed by `arch_cpu_preserved_kick()`, an NMI; the CPU then exits the guest, serializes and publishes STOPPED. A guest-entry error or a host-mode exception publishes FAILED, recorded as `KVM_CARETAKER_FAULT_STALL_BASE` OR\'ed with the vector.',
      'The reclaimer\'s wait, `kvm_caretaker_wait_for_attach()`: polls every 10 µs, re-kicks every 100 polls (about 1 ms), kicking both `cb->pcpu_id` and the expected CPU because under M:N another CPU may have stolen the job; after 2 s it quarantines the vCPU with `-ETIMEDOUT`; on FAILED it returns `-EIO` and the caller runs `kvm_vm_bugged()`. On cancel, `kvm_caretaker_vcpu_unpreserve()` first stops every Caretaker vCPU of the VM (orphanvm.md §1.3a).',
      'In the lab\'s `rfcv1` runs the vmfd retrieve parks every CPU, so each vcpufd retrieve finds PAUSED and takes the fast path. If the park kick is lost (`rfcv1-lost-park-kick`), the vCPU runs on through the retrieve and the slow path shows: RUNNING to STOPPING, a kick, STOPPED, about 6 µs later (walkthrough.md §6.1). The RFC had only a two-value flag, `KVM_ATTACHED` and `KVM_DETACHED` (rfc-thread.md Appendix B).',
    ],
    sources: [
      { ref: 'orphanvm.md §1.3a', what: 'cb->state values, transitions, the host wait loop, who reclaims' },
      { ref: 'orphanvm.md §1.2', what: 'struct kvm_caretaker_cb_ser' },
      { ref: 'orphanvm.md §7.2', what: 'fast (PAUSED→STOPPED, no IPI) and slow (STOPPING, kick) reclaim' },
      { ref: 'walkthrough.md §6.1', what: 'a lost park kick turning a fast reclaim into a slow one' },
    ],
    lessons: ['prototype-oncore'],
  },
  {
    id: 'quarantine',
    title: 'Quarantine',
    summary:
      'What the prototype does when a preserved CPU never answers the reclaim handshake: after 2 s of polling and re-kicking it gives up with `-ETIMEDOUT`, logs "caretaker attach handshake timed out … quarantining vCPU" and leaves the vCPU and its CPU alone. It never forces the vCPU to STOPPED, because its state could be stale; the lab then terminates the VM.',
    body: [
      'The kernel\'s rule (orphanvm.md §1.3a): `KVM_CARETAKER_ATTACH_TIMEOUT_US` = 2,000,000, a 10 µs step and a re-kick every 100 steps. On timeout it never forces STOPPED: it WARNs, increments `kvm_caretaker_quarantined_vcpus`, logs "kvm: caretaker attach handshake timed out for pCPU %d; quarantining vCPU %u" (orphanvm.md §7.5) and returns `-ETIMEDOUT`.',
      'Why not force it: a CPU that does not answer may still be running the guest. Forcing STOPPED would let the new kernel read a stale `arch_state` while the old Caretaker still ran the vCPU (invariant 3), and onlining the CPU would hand Linux a core still executing guest code (invariants 1 and 8). A quarantined CPU is given up, not reused.',
      'In the lab (the `wedged-cpu` preset, walkthrough.md §6.2): CPU 3 stops answering at 5 s. At adoption every re-kick is counted lost (invariant 6); after 2 s the handshake returns `-ETIMEDOUT` and quarantines vCPU1; pCPU 3 is never sent INIT/SIPI or onlined. The new VMM cannot rebuild the VM without it (ASSUMPTION), so the outcome is `vm-terminated`, its pending exits are reported (invariant 4), `adopted` stays null and the blackout runs from vCPU0\'s stop to the end of the run. The converged design uses the same numbers (walkthrough.md §7.2); `DESIGN_V2` re-kicks every 5 ms with the same 2 s timeout.',
      'Its cousins: a preserved CPU that faults in host mode publishes FAILED instead, the reclaimer gets `-EIO` and the VM is marked bugged. On x86 the preserved IDT\'s vectors 0–31 just `iretq`; making machine checks and double, general-protection and page faults park the CPU is an open item (orphanvm.md §3). The thread never discussed a kernel that cannot adopt; rfc-thread.md §5 lists the timeout and kill policy among the implied questions.',
    ],
    sources: [
      { ref: 'orphanvm.md §1.3a', what: 'the wait loop, -ETIMEDOUT, never forcing STOPPED, the quarantine counter' },
      { ref: 'orphanvm.md §7.5', what: 'the kernel log line, verbatim' },
      { ref: 'walkthrough.md §6.2', what: 'a wedged pCPU in the gap: quarantine and a terminated VM' },
      { ref: 'rfc-thread.md §5', what: 'what happens if the new kernel never adopts: implied, not discussed' },
    ],
    lessons: ['prototype-oncore', 'adoption'],
  },
  {
    id: 'kexec-fail',
    title: 'When the update fails',
    summary:
      'A live update can fail on either side of the point of no return. Before it, the reboot returns an error with everything unfrozen (`liveupdate_reboot()` undoes its own freezes), so closing the session gives every vCPU back to the old kernel. After it there is no old kernel to return to: if the new kernel cannot use the preserved state, the VM is lost.',
    body: [
      'Before the point of no return (mechanics.md §1.5): `kernel_kexec()` calls `liveupdate_reboot()` before reboot notifiers and device shutdown precisely so a failure can still be reported to userspace and undone. A failed freeze unfreezes the files already frozen and aborts the reboot; a KHO serialization error becomes `-EAGAIN`. LUO\'s other unhappy paths: a session closed before reboot unpreserves its files; a failed finish leaves LUO owning the file, and userspace may retry (mechanics.md §1.2).',
      'Backing out (orphanvm.md §1.5): closing the session runs `.unpreserve()` in reverse preservation order. In the prototype the vcpufd\'s `kvm_caretaker_vcpu_unpreserve()` stops every Caretaker vCPU of the VM and restores its state into the existing `kvm_vcpu`; each CPU file runs `cpu_unpreserve()` (EXITING, kick, DEAD, `add_cpu()`); the vmfd unpreserves its page-table folios while the live tables stay in place; the VMM can call `KVM_RUN` at once. The lab\'s `kexec-fail-no-image`, `feature-mismatch-before-ponr` and `cancel-cycle` presets end this way, the converged design\'s vCPUs coming back through an IPI and a known state.',
      'After the point of no return, in the new kernel: LUO looks for its "LUO" sub-tree with compatible `luo-v1` in an early initcall; if that fails, live update is disabled for this boot, and a partial failure to deserialize sessions counts as leaked state whose expected recovery is a full reboot (mechanics.md §1.5). For preserved CPUs that is dangerous: a kernel that does not know them sends them INIT/SIPI in `smp_init()`. INIT does not reset a CPU in VMX non-root operation but causes a VM exit (mechanics.md §4.1), which the Caretaker cannot handle. The lab\'s `kexec-fail-luo-disabled` preset shows it: the cores park, never come online, no VMM can retrieve the session, invariant 8 is reported and the VM is lost.',
      'The other ways to lose a VM after the jump: a feature mismatch found at vcpufd retrieve terminates it (Paolo Bonzini, M6); a pCPU that never answers is quarantined and its VM terminated; and a VM that was never put in a session dies with the old kernel at the point of no return (the `vm-left-behind` preset).',
    ],
    sources: [
      { ref: 'mechanics.md §1.5', what: 'liveupdate_reboot() first so failures can be undone; LUO disabled for a boot on bad data' },
      { ref: 'mechanics.md §1.2', what: 'LUO\'s unhappy paths: unpreserve, unfreeze, failed finish' },
      { ref: 'orphanvm.md §1.5', what: 'cancellation: unpreserve in reverse order, vCPUs and CPUs back to the old kernel' },
      { ref: 'mechanics.md §4.1', what: 'INIT in VMX non-root operation causes a VM exit' },
    ],
    lessons: ['luo-kho'],
  },
];

export const CONCEPTS: Readonly<Record<string, Concept>> = Object.freeze(Object.fromEntries(CONCEPT_LIST.map((c) => [c.id, c])));

export function conceptById(id: string): Concept | undefined {
  return CONCEPTS[id];
}
