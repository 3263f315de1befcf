// The benchmark scenario of design.md §7: 64 vCPUs at ≈20k exits/s each, one full live update.
export const BENCH_64 = {
  version: 1,
  title: 'Bench: 64 vCPUs × 20k exits/s',
  seed: 1,
  design: 'converged',
  host: { arch: 'intel-vmx', cpus: 72, housekeeping: '0-7' },
  vms: Array.from({ length: 8 }, (_, i) => ({
    name: `vm${i}`,
    vcpus: 8,
    pinning: Array.from({ length: 8 }, (_, k) => 8 + i * 8 + k),
    workload: { profile: 'idle', scale: 10 },
  })),
  timing: { kexecGap: '3s', earlyBoot: '500ms' },
  steps: [
    { at: '1s', action: 'preserve' },
    { at: '1.5s', action: 'kexec' },
  ],
  until: '6s',
};
