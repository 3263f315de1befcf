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

export const PRESETS: readonly Preset[] = [
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

export const DEFAULT_PRESET = 'converged-idle';

export function presetById(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}
