/**
 * The bundled scenarios. `converged-idle` is walkthrough §1's default scenario; the others each
 * show one point of the thread or one fault of walkthrough §6. Each is a plain version-1 scenario,
 * exactly what `caretaker-lab show <id>` prints and what the editor starts from.
 */

export interface Preset {
  id: string;
  /** What it teaches, one line. */
  summary: string;
  scenario: Record<string, unknown>;
}

const STEPS = [
  { at: '1s', action: 'preserve' },
  { at: '1.5s', action: 'kexec' },
];

const HOST = { arch: 'intel-vmx', cpus: 8, housekeeping: '0-1', clockGHz: 2.5, features: { apicv: true, ipiv: true, postedInterrupts: true } };
const PASSTHROUGH = { name: 'nvme0', kind: 'passthrough', postedInterrupts: true };

function scenario(title: string, description: string, over: Record<string, unknown>): Record<string, unknown> {
  return {
    version: 1,
    title,
    description,
    seed: 1,
    design: 'converged',
    host: HOST,
    vms: [{ name: 'vm0', vcpus: 2, pinning: [2, 3], memory: 'prefaulted', devices: [PASSTHROUGH], workload: 'idle' }],
    steps: STEPS,
    until: '12s',
    ...over,
  };
}

const BASE_PRESETS: Preset[] = [
  {
    id: 'converged-idle',
    summary: 'The design the thread converged on, idle guest: milliseconds of blackout instead of seconds',
    scenario: scenario(
      'Converged Caretaker, idle guest',
      'Walkthrough §1: a 2-vCPU idle VM pinned 1:1 to isolated pCPUs 2-3 keeps running through an 8 s kexec gap. Detach by IPI, remove_cpu() and INIT/SIPI; TSC-deadline writes and HLT handled by the Caretaker; adoption by attach IPI.',
      {},
    ),
  },
  {
    id: 'classic-baseline',
    summary: "Today's live update: the guest is paused for the whole kexec gap",
    scenario: scenario(
      'Classic live update (no Caretaker)',
      'Walkthrough §4: the VMM suspends the VM, preserves memory, vmfd and vcpufds in LUO, and the guest stays paused from preserve until the new VMM calls KVM_RUN: about 8.7 s.',
      { design: 'classic' },
    ),
  },
  {
    id: 'converged-strict',
    summary: "Pasha's PoC policy: every exit but HLT blocks, so each vCPU stalls at its first timer write",
    scenario: scenario(
      'Converged, strict PoC policy',
      'Walkthrough §7.9: with the strict policy (rfc-thread.md M10) a TSC-deadline write blocks; each idle vCPU stalls about 0.7 ms after detach and the blackout is nearly the whole gap.',
      { caretaker: { policy: 'strict' } },
    ),
  },
  {
    id: 'emulated-device-stall',
    summary: 'A guest driving an emulated device stalls in the gap: MMIO needs the VMM',
    scenario: scenario(
      'Emulated device: a stall in the gap',
      'vCPU0 rings a virtio doorbell (MMIO, EPT_MISCONFIG) 50 times a second. In the gap no VMM exists, so its first doorbell blocks it until adoption; vCPU1 keeps running.',
      {
        vms: [
          {
            name: 'vm0',
            vcpus: 2,
            pinning: [2, 3],
            devices: [PASSTHROUGH, { name: 'virtio-net0', kind: 'emulated', exit: 'EPT_MISCONFIG', accessesPerSec: 50, vcpus: [0] }],
            workload: 'idle',
          },
        ],
      },
    ),
  },
  {
    id: 'tlb-shootdown-cascade',
    summary: 'One stalled vCPU stops the others: TLB shootdowns wait for its acknowledgement',
    scenario: scenario(
      'TLB shootdown cascade',
      'vCPU0 stalls on an emulated device in the gap. The other vCPUs flush TLBs 20 times a second and spin until every vCPU acknowledges: they keep executing but make no progress until vCPU0 is adopted.',
      {
        vms: [
          {
            name: 'vm0',
            vcpus: 4,
            pinning: [2, 3, 4, 5],
            devices: [PASSTHROUGH, { name: 'virtio-blk0', kind: 'emulated', exit: 'EPT_MISCONFIG', accessesPerSec: 50, vcpus: [0] }],
            workload: { profile: 'idle', tlbShootdownsPerSec: 20 },
          },
        ],
      },
    ),
  },
  {
    id: 'trace-ring-overflow',
    summary: 'A 4,096-record trace ring overflows in the gap: records dropped and counted',
    scenario: scenario(
      'Trace ring overflow',
      'Walkthrough §6.5: the Caretaker is the only producer of a 4,096-record remote trace ring for 8.5 s; the ring overwrites its oldest records, counts them dropped, and the new kernel consumes what is left at adoption.',
      { caretaker: { traceRingRecords: 4096 } },
    ),
  },
  {
    id: 'feature-mismatch-adoption',
    summary: 'The new kernel cannot take the preserved state: the VM is terminated at adoption',
    scenario: scenario(
      'Feature mismatch after the point of no return',
      'Walkthrough §6.4: the check fails only at vcpufd retrieve in the new kernel. Every vCPU is stopped by an attach IPI, the VM is terminated and the pCPUs are onlined (rfc-thread.md M6).',
      { faults: [{ kind: 'feature-mismatch', when: 'after-ponr' }] },
    ),
  },
  {
    id: 'feature-mismatch-before-ponr',
    summary: 'The feature check in liveupdate_reboot() fails: the update is cancelled and the VM resumes',
    scenario: scenario(
      'Feature mismatch before the point of no return',
      'Walkthrough §6.4: liveupdate_reboot() refuses the staged kernel, sessions unfreeze, KHO aborts, and closing the session unpreserves every vCPU back into the old kernel.',
      { faults: [{ kind: 'feature-mismatch', when: 'before-ponr' }] },
    ),
  },
  {
    id: 'dropped-attach-ipi',
    summary: 'The attach IPI to CPU 3 is lost: the handshake re-kicks after 1 ms',
    scenario: scenario(
      'Dropped attach IPI',
      'Walkthrough §6.1: the first attach IPI to CPU 3 is lost; the wait loop re-kicks after 100 polls (1 ms), and adoption finishes 1 ms later.',
      { faults: [{ kind: 'drop-ipi', at: '9s', cpu: 3, purpose: 'attach' }] },
    ),
  },
  {
    id: 'wedged-cpu',
    summary: 'CPU 3 wedges in the gap: attach timeout, quarantine, the VM is terminated',
    scenario: scenario(
      'Wedged pCPU',
      'Walkthrough §6.2: CPU 3 stops answering at 5 s. Every re-kick is lost; after 2 s the handshake returns -ETIMEDOUT and quarantines the vCPU, never forcing it, and CPU 3 is never onlined.',
      { faults: [{ kind: 'wedge-cpu', at: '5s', cpu: 3 }] },
    ),
  },
  {
    id: 'madvise-free',
    summary: 'Userspace frees guest memory before kexec: the MMU notifier forces detached vCPUs out first',
    scenario: scenario(
      'madvise(MADV_FREE) before kexec',
      'Walkthrough §6.3: the MMU notifier zaps the SPTEs and IPIs the detached pCPUs; each exits, flushes (INVEPT) and re-enters before the pages are freed. A later touch is an EPT violation that stalls until adoption.',
      { faults: [{ kind: 'madvise-free', at: '1.3s', vm: 'vm0', touchAfter: '10ms' }] },
    ),
  },
  {
    id: 'cancel-cycle',
    summary: 'Preserve, then cancel before kexec: every vCPU comes back to the old kernel',
    scenario: scenario(
      'Cancel before kexec',
      'orphanvm.md §7.4 scenario 2 under converged: the vCPUs run detached for a second, then the session is closed and each vCPU is stopped, restored into its kvm_vcpu and its pCPU onlined again.',
      {
        steps: [
          { at: '1s', action: 'preserve' },
          { at: '2.5s', action: 'cancel' },
        ],
        until: '4s',
      },
    ),
  },
  {
    id: 'vm-left-behind',
    summary: 'Two VMs, only one preserved: the other dies with the old kernel',
    scenario: scenario(
      'A VM left out of the update',
      'vm0 is preserved and runs through the gap; vm1 is never preserved, so it is terminated at the point of no return.',
      {
        vms: [
          { name: 'vm0', vcpus: 2, pinning: [2, 3], devices: [PASSTHROUGH], workload: 'idle' },
          { name: 'vm1', vcpus: 2, pinning: [4, 5], workload: 'idle' },
        ],
        steps: [
          { at: '1s', action: 'preserve', vm: 'vm0' },
          { at: '1.5s', action: 'kexec' },
        ],
      },
    ),
  },
  {
    id: 'classic-feature-mismatch',
    summary: 'Classic update whose new kernel refuses the vCPU state: the suspended VM is lost',
    scenario: scenario(
      'Classic: feature mismatch at retrieve',
      'Without a pre-kexec check, a classic update learns at vcpufd retrieve that the new kernel cannot restore the state; the suspended VM is terminated.',
      { design: 'classic', faults: [{ kind: 'feature-mismatch', when: 'after-ponr' }] },
    ),
  },
  {
    id: 'amd-svm-idle',
    summary: 'The same idle guest on AMD: no hrtimer in the gap, so timer writes stall',
    scenario: scenario(
      'Converged on AMD SVM',
      'rfc-thread.md Phase F: AMD has no VMX preemption timer; emulating the guest timer needs an hrtimer, which does not exist in the gap, so the first TSC-deadline write stalls each vCPU.',
      { host: { ...HOST, arch: 'amd-svm', features: { apicv: false, ipiv: false, avic: true, postedInterrupts: true } } },
    ),
  },
  {
    id: 'device-interrupts-held',
    summary: 'A passthrough device without posted interrupts: completions wait for adoption',
    scenario: scenario(
      'Device interrupts without posted interrupts',
      'rfc-thread.md §5: without posted interrupts a VFIO completion needs Linux IRQ routing, which the gap lacks. Completions are held until adoption (walkthrough §7.8).',
      {
        vms: [
          {
            name: 'vm0',
            vcpus: 2,
            pinning: [2, 3],
            devices: [{ name: 'nvme0', kind: 'passthrough', postedInterrupts: false, interruptsPerSec: 500, vcpu: 1 }],
            workload: 'idle',
          },
        ],
      },
    ),
  },
  {
    id: 'scale-64-vcpus',
    summary: 'Eight VMs of eight vCPUs through one update: about a million exits on the timeline',
    scenario: scenario(
      '64 vCPUs at scale',
      'Eight 8-vCPU idle VMs on a 72-CPU host (CPUs 0-7 housekeeping) go through one live update with a 3 s kexec gap: about a million exits, all drawn with per-pixel summaries.',
      {
        host: { ...HOST, cpus: 72, housekeeping: '0-7' },
        vms: Array.from({ length: 8 }, (_, i) => ({
          name: `vm${i}`,
          vcpus: 8,
          pinning: Array.from({ length: 8 }, (_, k) => 8 + i * 8 + k),
          workload: 'idle',
        })),
        timing: { kexecGap: '3s', earlyBoot: '500ms' },
        until: '8s',
      },
    ),
  },
  {
    id: 'bench-64x20k',
    summary: 'The benchmark load: 64 vCPUs at 20,000 exits a second each (design.md §7)',
    scenario: scenario(
      'Benchmark: 64 vCPUs × 20k exits/s',
      'The load of design.md §7: eight 8-vCPU VMs whose idle profile is scaled ten times (about 20,000 exits a second per vCPU), through one live update with a 3 s kexec gap.',
      {
        host: { ...HOST, cpus: 72, housekeeping: '0-7' },
        vms: Array.from({ length: 8 }, (_, i) => ({
          name: `vm${i}`,
          vcpus: 8,
          pinning: Array.from({ length: 8 }, (_, k) => 8 + i * 8 + k),
          workload: { profile: 'idle', scale: 10 },
        })),
        timing: { kexecGap: '3s', earlyBoot: '500ms' },
        until: '6s',
      },
    ),
  },
];

const KEXEC_FAIL: Preset[] = [
  {
    id: 'kexec-fail-no-image',
    summary: 'reboot(LINUX_REBOOT_CMD_KEXEC) fails before the freeze: the update is cancelled, nothing is lost',
    scenario: scenario(
      'Failed kexec: no kernel staged',
      'mechanics.md §1.5: kernel_kexec() checks for a staged image before liveupdate_reboot(), so with no kexec_load the reboot returns -EINVAL with nothing frozen. The agent closes the sessions: each vCPU is adopted back by the old kernel (IPI, known state, add_cpu()) and runs on.',
      { faults: [{ kind: 'kexec-fail', mode: 'no-image' }] },
    ),
  },
  {
    id: 'kexec-fail-luo-disabled',
    summary: 'The new kernel boots with live update disabled: INIT/SIPI hits the preserved CPUs under their guests',
    scenario: scenario(
      'Failed kexec: LUO disabled in the new kernel',
      'mechanics.md §1.5: if luo_early_startup() cannot use the LUO data, live update is off for that boot. The new kernel does not know CPUs 2-3 are preserved, so smp_init() sends them INIT/SIPI (invariant 8). INIT does not reset a CPU in VMX operation (mechanics.md §4.1): each running vCPU takes an INIT-signal exit its Caretaker cannot handle and the core parks; the CPUs never come online, and no VMM can retrieve the session: the VM is lost.',
      { faults: [{ kind: 'kexec-fail', mode: 'luo-disabled' }] },
    ),
  },
];

/** sysbench's exit mix without its rare EOI_INDUCED and NMI exits (they would stall in the prototype's gap). */
const CPU_BOUND_NO_STALL = { profile: 'cpu-bound', rates: { EOI_INDUCED: 0, EXCEPTION_NMI: 0 } };

/** The prototype's scenarios (orphanvm.md §7.4) under `rfcv1`. */
const RFCV1: Preset[] = [
  {
    id: 'rfcv1-kexec',
    summary: 'The prototype, 1:1 tickless, through kexec: the preserve and reclaim windows are the real pauses',
    scenario: scenario(
      'Prototype (rfcv1): symmetric kexec, 1:1 tickless',
      'Walkthrough §3, ovm_test -k 1: vm_suspend(), then PRESERVE_FD of VM, RAM, CPUs 2-3 (parked through hotplug, no INIT/SIPI) and vCPUs (oncore jobs), all paused for about 210 ms. The jobs run tickless through the gap; the vmfd retrieve parks every CPU, each vcpufd retrieve reclaims with one cmpxchg, and the CPUs return at FINISH, before KVM_RUN.',
      { design: 'rfcv1' },
    ),
  },
  {
    id: 'rfcv1-ram-only',
    summary: 'RAM-only: the vCPUs are frozen in RAM across kexec; no CPU leaves Linux',
    scenario: scenario(
      'Prototype (rfcv1): RAM-only',
      'orphanvm.md §7.4 scenario 1 (matrix suites 3/5/8): without the capability the VMM preserves RAM-only vCPUs (cb == NULL). Nothing runs in the gap and the online mask never changes.',
      { design: 'rfcv1', vms: [{ name: 'vm0', vcpus: 2, pinning: [2, 3], optIn: false, devices: [PASSTHROUGH], workload: 'idle' }] },
    ),
  },
  {
    id: 'rfcv1-cancel-cycle',
    summary: 'Preserve, run on-core, then resume: every vCPU through the stop handshake, every CPU back online',
    scenario: scenario(
      'Prototype (rfcv1): symmetric cancel cycle',
      'orphanvm.md §7.4 scenario 2 (ovm_test -k 0): the vCPUs run on-core for a second, then "resume" closes the session: each vCPU is stopped (slow reclaim when RUNNING), restored into its kvm_vcpu and its job cancelled, and cpu_unpreserve() brings the CPUs back.',
      { design: 'rfcv1', steps: [{ at: '1s', action: 'preserve' }, { at: '2.5s', action: 'cancel' }], until: '4s' },
    ),
  },
  {
    id: 'rfcv1-2-on-1',
    summary: 'Two vCPUs share one preserved CPU: 10 ms quanta, serialization at every switch',
    scenario: scenario(
      'Prototype (rfcv1): 2 vCPUs on 1 pCPU',
      'orphanvm.md §7.4 scenario 4 (suites 2/7): two CPU-bound vCPUs time-slice CPU 2 with the 10 ms quantum; each quantum end serializes the vCPU (cb → PAUSED) and requeues its job. Together they get one CPU. (The profile\'s rare EOI_INDUCED and NMI exits, which would stall in the gap, are left out.)',
      { design: 'rfcv1', vms: [{ name: 'vm0', vcpus: 2, pinning: [2, 2], devices: [PASSTHROUGH], workload: CPU_BOUND_NO_STALL }] },
    ),
  },
  {
    id: 'rfcv1-4-on-2',
    summary: 'Four vCPUs on two preserved CPUs: jobs migrate, cb->pcpu_id changes',
    scenario: scenario(
      'Prototype (rfcv1): 4 vCPUs on 2 pCPUs',
      'orphanvm.md §7.4 scenario 4: four CPU-bound vCPUs on CPUs 2-3. Jobs are placed on the least-loaded CPU, but the runqueue is shared: a CPU takes the head job when none prefers it, so jobs migrate.',
      { design: 'rfcv1', vms: [{ name: 'vm0', vcpus: 4, pinning: [2, 3, 2, 3], devices: [PASSTHROUGH], workload: CPU_BOUND_NO_STALL }] },
    ),
  },
  {
    id: 'rfcv1-8-on-1',
    summary: 'Heavy overcommit: eight idle vCPUs on one CPU get one CPU between them',
    scenario: scenario(
      'Prototype (rfcv1): 8 vCPUs on 1 pCPU',
      'orphanvm.md §7.4 scenario 5: eight idle vCPUs share CPU 2. Every HLT yields the CPU (ONCORE_EXIT_YIELD_IDLE); in aggregate they get about one CPU, each about an eighth (STATUS: 4,554 vs 4,544 p/s for 2-on-2).',
      { design: 'rfcv1', host: { ...HOST, cpus: 4, housekeeping: '0-1' }, vms: [{ name: 'vm0', vcpus: 8, pinning: [2, 2, 2, 2, 2, 2, 2, 2], devices: [PASSTHROUGH], workload: 'idle' }] },
    ),
  },
  {
    id: 'rfcv1-stall',
    summary: 'An MMIO doorbell in the gap: ONCORE_EXIT_STALL, RIP kept, until reclaim',
    scenario: scenario(
      'Prototype (rfcv1): a stall',
      'orphanvm.md §7.4 scenario 7: vCPU0 rings a virtio doorbell (EPT_MISCONFIG) in the gap; the Caretaker cannot emulate it: stall_count, stall_exit_reason are set, the vCPU makes no progress while vCPU1 continues, and the new KVM handles the exit after KVM_RUN.',
      {
        design: 'rfcv1',
        vms: [{ name: 'vm0', vcpus: 2, pinning: [2, 3], devices: [PASSTHROUGH, { name: 'virtio-net0', kind: 'emulated', exit: 'EPT_MISCONFIG', accessesPerSec: 50, vcpus: [0] }], workload: 'idle' }],
      },
    ),
  },
  ...(['intel-vmx', 'amd-svm', 'arm64'] as const).map((arch) => ({
    id: `rfcv1-ipi-storm-${arch.split('-')[0]}`,
    summary: arch === 'intel-vmx' ? 'IPI storm on Intel with IPIv: ICR writes in silicon, no stall' : arch === 'amd-svm' ? 'IPI storm on AMD without AVIC: the sender stalls' : 'IPI storm on arm64: ICC_SGI1R_EL1 traps, the SGI is injected',
    scenario: scenario(
      `Prototype (rfcv1): IPI storm on ${arch}`,
      'orphanvm.md §7.4 scenario 8 (--ipi): reschedule IPIs dominate the guest. Intel with IPIv delivers ICR writes in silicon (stall_count 0); AMD without AVIC stalls the sender; arm64 traps ICC_SGI1R_EL1, injects the SGI and kicks the target.',
      {
        design: 'rfcv1',
        host: { ...HOST, arch, features: arch === 'intel-vmx' ? { apicv: true, ipiv: true, postedInterrupts: true } : { apicv: false, ipiv: false, avic: false, gicv41: false, postedInterrupts: true } },
        vms: [{ name: 'vm0', vcpus: 2, pinning: [2, 3], devices: [PASSTHROUGH], workload: 'ipi-heavy' }],
      },
    ),
  })),
  {
    id: 'rfcv1-lost-park-kick',
    summary: 'The detach_workload kick to CPU 3 is lost: vCPU1 runs on, then a slow reclaim',
    scenario: scenario(
      'Prototype (rfcv1): lost detach_workload kick',
      'Walkthrough §6.1, rfcv1: the NMI that parks CPU 3 at vmfd retrieve is lost. vCPU1 keeps running through the retrieve; its vcpufd retrieve finds cb RUNNING and takes the slow path (STOPPING, kick, STOPPED): its pause shrinks to about 12.06 ms.',
      { design: 'rfcv1', faults: [{ kind: 'drop-ipi', at: '9s', cpu: 3, purpose: 'park' }] },
    ),
  },
  {
    id: 'rfcv1-wedged-cpu',
    summary: 'CPU 3 wedges in the gap: reclaim times out after 2 s, the vCPU is quarantined',
    scenario: scenario(
      'Prototype (rfcv1): wedged pCPU',
      'Walkthrough §6.2 under rfcv1: the park kick is lost to a wedged CPU, the slow reclaim re-kicks every 1 ms, and after KVM_CARETAKER_ATTACH_TIMEOUT_US (2 s) it returns -ETIMEDOUT: "caretaker attach handshake timed out … quarantining vCPU".',
      { design: 'rfcv1', faults: [{ kind: 'wedge-cpu', at: '5s', cpu: 3 }] },
    ),
  },
  {
    id: 'rfcv1-host-mce',
    summary: 'A machine check on a preserved CPU: KVM_CARETAKER_FAILED, the VM is marked bugged',
    scenario: scenario(
      'Prototype (rfcv1): machine check in the gap',
      'orphanvm.md §1.3a: a host-mode exception caught by the preserved IDT publishes FAILED (ONCORE_EXIT_ERROR). At retrieve, kvm_caretaker_wait_for_attach() returns -EIO and kvm_vm_bugged() ends the VM.',
      { design: 'rfcv1', faults: [{ kind: 'host-mce', at: '5s', cpu: 2 }] },
    ),
  },
  {
    id: 'rfcv1-madvise-free',
    summary: 'MADV_FREE before kexec: the prototype sends no kick, pages are freed while mapped',
    scenario: scenario(
      'Prototype (rfcv1): the MADV_FREE hazard',
      'Walkthrough §6.3 and orphanvm.md §6: the prototype has no MMU-notifier kick for preserved vCPUs, so guest pages they may map are freed at once: invariant 7 breaks (the open hazard), and caretaker-lab run exits 1.',
      { design: 'rfcv1', faults: [{ kind: 'madvise-free', at: '1.3s', vm: 'vm0', touchAfter: '10ms' }] },
    ),
  },
  {
    id: 'rfcv1-llama-demo',
    summary: 'The LLaMA demo: 4 vCPUs generate tokens through a 66 s kexec at about 99% of their speed',
    scenario: scenario(
      'Prototype (rfcv1): LLaMA demo through a 66 s kexec',
      'orphanvm.md §7.4 and the Granite Rapids numbers: a 4-vCPU guest runs llama.cpp (Llama-3.2-1B Q4_K_M, 4 threads) on preserved CPUs 2-5 through a 66.10 s kexec reboot, generating 457 tokens in the gap at 28.8 tok/s against 29.1 before (99.0%), with no stalls. The guest is modelled CPU-bound (the sysbench exit mix, an ASSUMPTION: no exit data was published for the demo); the lab reports its progress in the gap.',
      {
        design: 'rfcv1',
        vms: [{ name: 'vm0', vcpus: 4, pinning: [2, 3, 4, 5], memoryGiB: 4, devices: [PASSTHROUGH], workload: CPU_BOUND_NO_STALL }],
        timing: { kexecGap: '66.1s' },
        until: '70s',
      },
    ),
  },
  {
    id: 'rfcv1-kexec-fail',
    summary: 'LUO disabled in the new kernel: INIT/SIPI to the preserved CPUs fails the running jobs',
    scenario: scenario(
      'Prototype (rfcv1): live update disabled after kexec',
      'As kexec-fail-luo-disabled under the prototype: without the FLB the new kernel does not hide CPUs 2-3 and smp_init() sends them INIT/SIPI; each running job takes the INIT exit as a fault (ONCORE_EXIT_ERROR, cb FAILED), the CPUs never come online and the VM cannot be retrieved.',
      { design: 'rfcv1', faults: [{ kind: 'kexec-fail', mode: 'luo-disabled' }] },
    ),
  },
  {
    id: 'rfcv1-feature-mismatch',
    summary: 'No check before kexec: the new kernel refuses the handover at retrieve',
    scenario: scenario(
      'Prototype (rfcv1): handover refused',
      'The prototype has no pre-kexec feature check: a mismatch (arch_mode, hwid, a compat string) surfaces only in the new kernel, which refuses the handover; the VM is terminated and the CPUs return at FINISH.',
      { design: 'rfcv1', faults: [{ kind: 'feature-mismatch', when: 'before-ponr' }] },
    ),
  },
];

/** The original RFC (rfc-thread.md §2 [RFC], M1) under `rfc-v0`: what the thread moved away from, and why. */
const RFCV0: Preset[] = [
  {
    id: 'rfc-v0-idle',
    summary: 'The original RFC: no attach handshake, almost no blackout, and the new kernel reads stale state',
    scenario: scenario(
      'Original RFC (rfc-v0), idle guest',
      'rfc-thread.md §2 [RFC]: KVM_SET_CARETAKER put a Caretaker in each vCPU\'s exit path at VM creation. PRESERVE_FD flips the CCB flag to KVM_DETACHED and takes the pCPU in place; RETRIEVE_FD flips it back under the running vCPU. The guest barely pauses, but the new kernel rebuilds each vCPU from state serialized at preserve while the old Caretaker still runs it (invariant 3, the objection of M6 and M12), and the old kernel\'s Caretaker stays in the exit path.',
      { design: 'rfc-v0' },
    ),
  },
  {
    id: 'rfc-v0-spin-wait',
    summary: 'A blocking exit in the RFC gap: the Caretaker spin-waits on the CCB flag until retrieve',
    scenario: scenario(
      'Original RFC (rfc-v0): spin-wait on a doorbell',
      'rfc-thread.md Phase F [RFC]: vCPU0 rings a virtio doorbell (EPT_MISCONFIG) in the gap. Host routing sees KVM_DETACHED and spins polling the CCB flag (the thread later chose to halt the pCPU, M8); the flag flip at vcpufd retrieve releases it and the new KVM handles the exit.',
      { design: 'rfc-v0', vms: [{ name: 'vm0', vcpus: 2, pinning: [2, 3], devices: [PASSTHROUGH, { name: 'virtio-net0', kind: 'emulated', exit: 'EPT_MISCONFIG', accessesPerSec: 50, vcpus: [0] }], workload: 'idle' }] },
    ),
  },
  {
    id: 'rfc-v0-cancel',
    summary: 'The RFC cancelled before kexec: the old kernel flips the flag back under the running vCPUs',
    scenario: scenario(
      'Original RFC (rfc-v0): cancel before kexec',
      'The session is closed at 2 s instead of kexec: each vcpufd .unpreserve() writes the old routing pointers back, flips the CCB flag to KVM_ATTACHED and onlines the pCPU, with the guest never stopping. The old kernel then runs the vCPU on kvm_vcpu state from before the gap, which the Caretaker has changed since: invariant 3, as at a retrieve.',
      { design: 'rfc-v0', steps: [{ at: '1s', action: 'preserve' }, { at: '2s', action: 'cancel' }], until: '3s' },
    ),
  },
  {
    id: 'rfc-v0-feature-mismatch',
    summary: 'The RFC has no feature negotiation: a mismatch ends the VM at retrieve',
    scenario: scenario(
      'Original RFC (rfc-v0): no feature negotiation',
      'Feature negotiation came later in the thread (Paolo M6, Pasha M10). Under the RFC the new kernel finds at vcpufd retrieve that it cannot take the preserved state: each vCPU is kicked out of its Caretaker and the VM is terminated.',
      { design: 'rfc-v0', faults: [{ kind: 'feature-mismatch', when: 'before-ponr' }] },
    ),
  },
  {
    id: 'rfc-v0-madvise-free',
    summary: 'MADV_FREE before kexec under the RFC: no forced exit, pages freed while mapped',
    scenario: scenario(
      'Original RFC (rfc-v0): the MADV_FREE hazard',
      'Walkthrough §6.3: the RFC has no IPI to force detached vCPUs out when the old kernel invalidates guest memory (Paolo added it in M12), so the pages are freed while still mapped: invariant 7 breaks.',
      { design: 'rfc-v0', faults: [{ kind: 'madvise-free', at: '1.3s', vm: 'vm0', touchAfter: '10ms' }] },
    ),
  },
];

/** Paolo's staging without kexec (rfc-thread.md M8, M9) under `async-run`: a VMM upgrade with no kernel gap. */
const VIRTIO_NET = { name: 'virtio-net0', kind: 'emulated', exit: 'EPT_MISCONFIG', accessesPerSec: 200, vcpus: [0] };
const ASYNC: Preset[] = [
  {
    id: 'async-run-idle',
    summary: 'A VMM upgrade with KVM_RUN_ASYNC: no kernel gap, the guest barely pauses',
    scenario: scenario(
      'KVM_RUN_ASYNC: VMM upgrade, idle guest',
      'rfc-thread.md M8 (layers 1-2) and M9: at 1 s KVM_RUN_ASYNC moves both vCPUs into vhost_tasks; at 1.5 s the old VMM hands its fds to a new VMM process and exits. The kernel never goes down, so every exit the guest makes is handled as usual; the vCPUs pause only while moving into their kernel threads.',
      { design: 'async-run' },
    ),
  },
  {
    id: 'async-run-virtio',
    summary: 'A device model in the VMM gap: doorbells wait for the new VMM, the rest runs',
    scenario: scenario(
      'KVM_RUN_ASYNC: a virtio doorbell in the VMM gap',
      'vCPU0 drives an emulated virtio-net device (EPT_MISCONFIG to the VMM, 200/s). From the hand-over until the new VMM has rebuilt its device models (fd hand-over, process start, device restore: about 61 ms), a doorbell schedules the vhost_task out; vCPU1 never notices.',
      { design: 'async-run', vms: [{ name: 'vm0', vcpus: 2, pinning: [2, 3], devices: [PASSTHROUGH, VIRTIO_NET], workload: 'idle' }] },
    ),
  },
  {
    id: 'async-run-slow-vmm',
    summary: 'The new VMM takes 2 s to start: only the vCPU that needs it waits',
    scenario: scenario(
      'KVM_RUN_ASYNC: a slow VMM restart',
      'As async-run-virtio, with the new VMM 2 s late (vmm-slow-restart): vCPU0 waits on its doorbell for about 2 s, while under a classic update the whole VM would wait.',
      { design: 'async-run', vms: [{ name: 'vm0', vcpus: 2, pinning: [2, 3], devices: [PASSTHROUGH, VIRTIO_NET], workload: 'idle' }], faults: [{ kind: 'vmm-slow-restart', vm: 'vm0', delay: '2s' }] },
    ),
  },
  {
    id: 'async-run-without',
    summary: 'The same VMM restart without KVM_RUN_ASYNC: the VM is suspended across it',
    scenario: scenario(
      'VMM restart without KVM_RUN_ASYNC',
      'The VMM does not use KVM_RUN_ASYNC (optIn false): it suspends the VM (vm_suspend) before handing over, and the guest waits for the new VMM: the VMM gap becomes guest downtime, though still no kernel gap.',
      { design: 'async-run', vms: [{ name: 'vm0', vcpus: 2, pinning: [2, 3], optIn: false, devices: [PASSTHROUGH], workload: 'idle' }] },
    ),
  },
  {
    id: 'async-run-cancel',
    summary: 'Staged, then cancelled: VMM threads take the vCPUs back from their vhost_tasks',
    scenario: scenario(
      'KVM_RUN_ASYNC: staging cancelled',
      'The VMM stages at 1 s and cancels at 2 s instead of upgrading: its threads call KVM_RUN again and the vCPUs leave their kernel threads without stopping.',
      { design: 'async-run', steps: [{ at: '1s', action: 'preserve' }, { at: '2s', action: 'cancel' }], until: '3s' },
    ),
  },
];

/** The prototype's older DESIGN_V2 (orphanvm.md §1.3e) under `design-v2`: the ATTACHING / NMI-kick protocol. */
const DESIGN_V2: Preset[] = [
  {
    id: 'design-v2-kexec',
    summary: "DESIGN_V2 through kexec: each vCPU is taken back by ATTACHING and a kick, while the others run on",
    scenario: scenario(
      'DESIGN_V2: ATTACHING and a kick per vCPU',
      "orphanvm.md §1.3e: the outgoing KVM stages each vCPU (attachment_state DETACHED) on preserved CPUs 2-3. In the new kernel each vcpufd retrieve sets ATTACHING and kicks the job's CPU; the Caretaker syncs the vCPU, sets ATTACHED and leaves its loop. Unlike RFCv1 there is no detach_workload at vmfd retrieve, so each vCPU runs until its own retrieve.",
      { design: 'design-v2' },
    ),
  },
  {
    id: 'design-v2-4-on-2',
    summary: 'DESIGN_V2 with four vCPUs on two CPUs: a queued job is synced by the CPU that gets the kick',
    scenario: scenario(
      'DESIGN_V2: 4 vCPUs on 2 pCPUs',
      'Four CPU-bound vCPUs time-slice CPUs 2-3 (10 ms caretaker.quantum_ms). At retrieve a job that is waiting on the runqueue is synced by the kicked CPU without running again; a running one exits first.',
      { design: 'design-v2', vms: [{ name: 'vm0', vcpus: 4, pinning: [2, 3, 2, 3], devices: [PASSTHROUGH], workload: CPU_BOUND_NO_STALL }] },
    ),
  },
  {
    id: 'design-v2-cancel',
    summary: 'DESIGN_V2 cancelled before kexec: jobs CANCELING, a kick, ATTACHED again',
    scenario: scenario(
      'DESIGN_V2: cancel before kexec',
      'orphanvm.md §1.3e: a cancel marks each caretaker_job CANCELING and kicks its CPU, polling up to 20 s in 100 µs steps with a re-kick every 5 ms; the job dies, the vCPU is synced back into its kvm_vcpu and the CPUs return.',
      { design: 'design-v2', steps: [{ at: '1s', action: 'preserve' }, { at: '2.5s', action: 'cancel' }], until: '4s' },
    ),
  },
  {
    id: 'design-v2-lost-kick',
    summary: 'DESIGN_V2 loses the attach kick to CPU 3: the re-kick comes 5 ms later (RFCv1: 1 ms)',
    scenario: scenario(
      'DESIGN_V2: a lost attach kick',
      'The first ATTACHING kick to CPU 3 is lost; DESIGN_V2 re-kicks every 5 ms (KVM_CARETAKER_ATTACH_TIMEOUT_US 2 s), so vCPU1 is synced 5 ms late and adoption moves by as much.',
      { design: 'design-v2', faults: [{ kind: 'drop-ipi', at: '9s', cpu: 3, purpose: 'attach' }] },
    ),
  },
  {
    id: 'design-v2-wedged-cpu',
    summary: 'DESIGN_V2 with CPU 3 wedged: 400 kicks over 2 s, then -ETIMEDOUT',
    scenario: scenario(
      'DESIGN_V2: wedged pCPU',
      'CPU 3 wedges in the gap. Its vCPU never answers ATTACHING: the new kernel re-kicks every 5 ms for 2 s, then quarantines it and the VM is terminated.',
      { design: 'design-v2', faults: [{ kind: 'wedge-cpu', at: '5s', cpu: 3 }] },
    ),
  },
];

export const DEFAULT_PRESET = 'converged-idle';

export const PRESETS: readonly Preset[] = [...BASE_PRESETS, ...KEXEC_FAIL, ...RFCV1, ...DESIGN_V2, ...RFCV0, ...ASYNC];

export function presetById(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}
