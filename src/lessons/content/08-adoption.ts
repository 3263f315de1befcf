/** Lesson 8: adoption: the forced exit, the known state, the Caretaker's replacement, feature negotiation, a lost attach IPI. */
import { bucket, drained, entered, entries, fmt, ipisOf, phaseAt, vmReport } from '../facts.ts';
import type { Lesson, LessonRun } from '../types.ts';


/** Attach IPIs to one pCPU, in send order. */
function attachTo(run: LessonRun, cpu: number) {
  return ipisOf(run, 'attach').filter((m) => m.to === cpu);
}


const FATE_CHOICES = ['adopted: the new kernel takes it over', 'handed back to the old kernel: the update is cancelled', 'terminated, with the whole VM'];
const LOST_CHOICES = ['under 100 µs, as if nothing were lost', '100 µs to 10 ms', '10 ms to 2 s', 'never: the new kernel gives up on it'];

export const adoption: Lesson = {
  id: 'adoption',
  order: 8,
  title: 'Adoption: forced exit, known state, replacement, feature negotiation',
  goal: 'Say how the new kernel takes a running vCPU back from the old kernel\'s Caretaker, what it checks before it does, and what a lost attach IPI costs.',
  scenario: { preset: 'dropped-attach-ipi' },
  concepts: ['adoption', 'known-state', 'feature-negotiation', 'quarantine', 'invariants'],
  sources: [
    'rfc-thread.md Phase G, Phase H (M6, M10, M12), §5 (version / feature mismatch)',
    'orphanvm.md §1.3a (the host wait loop), §7.3 (attach handshake parameters)',
    'walkthrough.md §2 steps 12–16, §6.1, §6.4, §7.2',
    'design.md §6 (invariants 3, 6, 8, 9)',
    'docs/timing.md (knownState, adoptPerVcpu, attachPoll, attachRekick, apBringup)',
  ],
  steps: [
    {
      title: 'The new kernel finds its vCPUs running',
      text: (run) =>
        `When the new kernel's userspace comes up at ${fmt(phaseAt(run, 'newKernelUp'))}, vm0/vCPU0 and vm0/vCPU1 are still ORPHANED_RUNNING under C2 and C3: told by LUO's handed-over data, the new kernel hid CPU 2 and CPU 3 and never sent them INIT/SIPI (invariant 8), so their lanes still read CARETAKER. VMM′ vm0 retrieves the session, guest memory and the vmfd (RETRIEVING). Adoption then goes one vCPU at a time: each \`LIVEUPDATE_SESSION_RETRIEVE_FD(vcpufd)\` reaches KVM's \`.retrieve()\`, which must take that vCPU back from a Caretaker that is running it right now (rfc-thread.md Phase H, adoption).`,
      at: { enter: 'VMM′ vm0', state: 'RETRIEVING' },
      view: [{ phase: 'newKernelUp', plus: -40_000_000 }, { ipi: 'attach' }],
      highlight: [
        { from: { phase: 'newKernelUp' }, to: { ipi: 'attach' }, lanes: ['vm0/vCPU0', 'vm0/vCPU1', 'CPU 2', 'CPU 3'], label: 'still running under C2 and C3' },
        { from: { enter: 'VMM′ vm0', state: 'RETRIEVING' }, to: { ipi: 'attach' }, lanes: ['VMM′ vm0'], label: 'retrieve memfd and vmfd' },
      ],
    },
    {
      title: 'The forced exit and the known state',
      text: (run) => {
        const ipi = attachTo(run, 2)[0];
        return `\`RETRIEVE_FD(vcpufd0)\` sets vm0/vCPU0 ADOPTING and \`kvm_caretaker_wait_for_attach()\` sends an attach IPI to CPU 2: exit by IPI, synchronously, as Paolo Bonzini, the KVM maintainer, asked (M6, M12). It lands ${fmt(ipi.arriveT - ipi.sendT)} later and forces the guest out with an EXTERNAL_INTERRUPT exit. C2 then brings the vCPU to a known state (exit, serialize its state into KHO, last trace records, VMCLEAR, VMXOFF, park: ${fmt(entered(run, 'C2', 'STOPPED') - ipi.arriveT)}, an ASSUMPTION) and is STOPPED, leaving CPU 2 to nobody (OFFLINE). Only in this state may a new kernel read the vCPU (invariant 3).`;
      },
      at: { ipi: 'attach', edge: 'arrive' },
      view: [{ ipi: 'attach', plus: -8_000 }, { enter: 'C2', state: 'STOPPED', plus: 8_000 }],
      highlight: [
        { from: { ipi: 'attach' }, to: { ipi: 'attach', edge: 'arrive' }, lanes: ['vm0/vCPU0', 'CPU 2'], label: 'attach IPI in flight' },
        { from: { ipi: 'attach', edge: 'arrive' }, to: { enter: 'C2', state: 'STOPPED' }, lanes: ['C2', 'vm0/vCPU0'], label: 'forced exit, then the known state' },
      ],
    },
    {
      title: 'Predict: feature negotiation',
      text: 'With C2 STOPPED, the new kernel builds its `kvm_vcpu` from what KHO carried (`kvm_vcpu_arch_ser`), keeping the TSC offset and kvmclock so guest time never runs backwards (invariant 9). Then it negotiates features: the state was written by one kernel version and must mean the same to another (rfc-thread.md Phase H, adoption). After convergence only this KHO handover format must be stable; the host↔Caretaker interface need not be (Paolo, M6).',
      at: { enter: 'C2', state: 'STOPPED', plus: 1_000 },
      view: [{ enter: 'C2', state: 'STOPPED', plus: -10_000 }, { enter: 'C2', state: 'STOPPED', plus: 60_000 }],
      highlight: [{ from: { enter: 'C2', state: 'STOPPED' }, to: { enter: 'C2', state: 'STOPPED', plus: 50_000 }, lanes: ['vm0/vCPU0', 'C2'], label: 'restore, then the feature check' }],
      checkpoint: {
        question: 'The new kernel now restores vm0/vCPU0 from KHO and checks its features against its own. What becomes of vm0/vCPU0?',
        choices: FATE_CHOICES,
        answer: (run) => {
          if (entries(run, 'vm0/vCPU0', 'ADOPTED').length) return 0;
          if (entries(run, 'vm0/vCPU0', 'TERMINATED').length) return 2;
          return 1;
        },
        reveal: { enter: 'C2', state: 'STOPPED', plus: 51_000 },
        explain: (run) => {
          const stopped = entered(run, 'C2', 'STOPPED');
          if (!entries(run, 'vm0/vCPU0', 'ADOPTED').length) {
            return `The check failed: vm0/vCPU0 is TERMINATED at ${fmt(entered(run, 'vm0/vCPU0', 'TERMINATED'))}, and every other vCPU of vm0 is stopped by its attach IPI and terminated too. After the point of no return there is no old kernel to go back to, so the VM is "terminated unceremoniously" (Paolo, M6; walkthrough §6.4).`;
          }
          const adopted = entered(run, 'vm0/vCPU0', 'ADOPTED');
          return `The features match: vm0/vCPU0 is ADOPTED at ${fmt(adopted)}, ${fmt(adopted - stopped)} after C2's known state (restore, feature check and Caretaker swap, an ASSUMPTION). Had they not, nothing could be cancelled this late: the old kernel is gone, so the VM is "terminated unceremoniously" (Paolo, M6). Pasha Tatashin, the RFC's author, would rather fail before the point of no return, and the lab checks there too, in \`liveupdate_reboot()\`: the feature-mismatch-before-ponr preset cancels the update and vm0 runs on under the old kernel (walkthrough §6.4).`;
        },
        tryIt: { patch: { faults: [{ kind: 'feature-mismatch', when: 'after-ponr' }] }, says: 'a new kernel that cannot take the preserved state (a feature mismatch after the point of no return)' },
      },
    },
    {
      title: 'The Caretaker is replaced, CPU 2 comes back',
      text: (run) =>
        `The new kernel installs its own Caretaker for vm0/vCPU0 and C2's lane ends (\`REPLACED\`): the code that ran the gap was the old kernel's, and this swap is how the Caretaker itself gets updated, "via kexec" (Paolo, M6). The new kernel drains the vCPU's trace ring (${drained(run, 'vm0/vCPU0').toLocaleString('en-US')} records) and calls \`add_cpu(2)\`: CPU 2 goes from OFFLINE to ONLINE in ${fmt(entered(run, 'CPU 2', 'ONLINE', 1) - entered(run, 'vm0/vCPU0', 'ADOPTED'))} (mechanics.md §7). vm0/vCPU0 is ADOPTED but not running yet, while vm0/vCPU1 is still ORPHANED_RUNNING under C3.`,
      at: { enter: 'CPU 2', state: 'ONLINE', nth: 1 },
      view: [{ enter: 'C2', state: 'STOPPED', plus: -20_000 }, { enter: 'CPU 2', state: 'ONLINE', nth: 1, plus: 20_000 }],
      highlight: [
        { from: { enter: 'vm0/vCPU0', state: 'ADOPTED' }, to: { enter: 'CPU 2', state: 'ONLINE', nth: 1 }, lanes: ['CPU 2'], label: '`add_cpu(2)`' },
        { from: { enter: 'vm0/vCPU0', state: 'ADOPTED' }, to: { enter: 'CPU 2', state: 'ONLINE', nth: 1 }, lanes: ['vm0/vCPU0'], label: 'adopted, waiting for the rest of vm0' },
      ],
    },
    {
      title: 'Predict: a lost attach IPI',
      text: 'Now `RETRIEVE_FD(vcpufd1)` sets vm0/vCPU1 ADOPTING and sends the attach IPI to CPU 3, and this scenario drops it (fault `drop-ipi`). The new kernel\'s wait loop, `kvm_caretaker_wait_for_attach()`, polls `cb->state` for an answer and can send the kick again (orphanvm.md §1.3a). C3 knows nothing of the request and keeps running the guest.',
      at: { ipi: 'attach', to: 3, plus: 1_000 },
      view: [{ ipi: 'attach', to: 3, plus: -100_000 }, { ipi: 'attach', to: 3, plus: 4_000_000 }],
      highlight: [{ from: { ipi: 'attach', to: 3, plus: -100_000 }, to: { ipi: 'attach', to: 3 }, lanes: ['vm0/vCPU1', 'C3', 'CPU 3'], label: 'C3 still runs vm0/vCPU1' }],
      checkpoint: {
        question: 'The attach IPI to CPU 3 is lost. How long after it was sent will vm0/vCPU1 be ADOPTED?',
        choices: LOST_CHOICES,
        answer: (run) => {
          const ad = entries(run, 'vm0/vCPU1', 'ADOPTED');
          if (!ad.length) return 3;
          return bucket(ad[0] - attachTo(run, 3)[0].sendT, [100e3, 10e6]);
        },
        reveal: { ipi: 'attach', to: 3, plus: 4_000_000 },
        explain: (run) => {
          const kicks = attachTo(run, 3);
          const lost = kicks.filter((m) => m.status === 'lost').length;
          const got = kicks.find((m) => m.status === 'delivered');
          if (!got || !entries(run, 'vm0/vCPU1', 'ADOPTED').length) {
            const q = entries(run, 'vm0/vCPU1', 'QUARANTINED')[0];
            return `All ${lost} attach IPIs to CPU 3 were lost and counted (invariant 6). ${q === undefined ? 'The handshake never completed' : `At ${fmt(q)}, 2 s after the first one, the wait loop returned \`-ETIMEDOUT\` and logged "quarantining vCPU"`}: C3 is never forced to stop, CPU 3 is never onlined (invariant 8), and without vm0/vCPU1 the new VMM cannot rebuild vm0, which is terminated (orphanvm.md §1.3a; walkthrough §6.2).`;
          }
          const adopted1 = entered(run, 'vm0/vCPU1', 'ADOPTED');
          const took0 = entered(run, 'vm0/vCPU0', 'ADOPTED') - attachTo(run, 2)[0].sendT;
          return `${lost} attach IPI${lost === 1 ? ' was' : 's were'} lost and counted (invariant 6). The wait loop polls \`cb->state\` every 10 µs and re-kicks every 100 polls, about 1 ms (orphanvm.md §7.3); the re-kick sent at ${fmt(got.sendT)} arrives, C3 reaches its known state and vm0/vCPU1 is ADOPTED at ${fmt(adopted1)}: ${fmt(adopted1 - kicks[0].sendT)} after the first IPI, against the ${fmt(took0)} vm0/vCPU0 took. Had CPU 3 never answered, the loop would return \`-ETIMEDOUT\` after 2 s and quarantine the vCPU rather than force it: a Caretaker that may still be running is never declared stopped (invariant 3; orphanvm.md §1.3a).`;
        },
        tryIt: { patch: { faults: [{ kind: 'drop-ipi', at: '9s', cpu: 3, purpose: 'attach', count: 5000 }] }, says: 'every attach IPI to CPU 3 lost (drop-ipi count 5000): the 2 s timeout and quarantine' },
      },
    },
    {
      title: 'vm0 resumes; the session finishes',
      text: (run) => {
        const resumed = entered(run, 'vm0/vCPU0', 'ATTACHED_RUNNING', 1);
        return `With its last vCPU adopted, VMM′ vm0 calls \`KVM_RUN\` on both threads and they are ATTACHED_RUNNING at ${fmt(resumed)}: a VM resumes only once all its vCPUs are adopted, since no cross-kernel TLB protocol would let an old Caretaker run beside the new KVM (walkthrough §7.2). So vm0/vCPU0 was out of the guest for ${fmt(resumed - attachTo(run, 2)[0].arriveT)}, yet vm0's blackout is only ${fmt(vmReport(run).blackoutNs)}: vm0/vCPU1 kept running while its kick was lost. \`LIVEUPDATE_SESSION_FINISH\` then frees the old Caretaker, the EPT folios and the trace rings, ${fmt(phaseAt(run, 'finish') - resumed)} later.`;
      },
      at: { enter: 'vm0/vCPU0', state: 'ATTACHED_RUNNING', nth: 1 },
      view: [{ enter: 'vm0/vCPU0', state: 'ADOPTED' }, { phase: 'finish', plus: 500_000 }],
      highlight: [
        { from: { ipi: 'attach', to: 3, nth: 1, edge: 'arrive' }, to: { enter: 'vm0/vCPU1', state: 'ATTACHED_RUNNING', nth: 1 }, label: 'vm0 blackout: no vCPU runs' },
        { from: { phase: 'adopted' }, to: { phase: 'finish' }, lanes: ['VMM′ vm0', 'LUO session vm0'], label: '`KVM_RUN`, then FINISH' },
      ],
    },
  ],
};
