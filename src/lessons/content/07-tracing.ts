/** Lesson 7: tracing in the gap: a remote ring buffer in KHO memory, written by the Caretaker alone. */
import { entityByName } from '../anchors.ts';
import { bucket, entries, exitsIn, fmt, phaseAt } from '../facts.ts';
import type { Lesson, LessonRun } from '../types.ts';

const n = (x: number) => x.toLocaleString('en-US');
/** A duration in seconds, two decimals ("2.10 s"). */
const secs = (ns: number) => `${(ns / 1e9).toFixed(2)} s`;

/** The new kernel's drain of a vCPU's ring at adoption: records read and records overwritten. */
function drainOf(run: LessonRun, vcpu: string): { t: number; consumed: number; dropped: number } | null {
  return run.data.drains.get(entityByName(run, vcpu))?.[0] ?? null;
}

/** Records per ring, known from a drain that found its ring overflowed (then it read a full ring). */
function capacity(run: LessonRun): number | null {
  for (const v of ['vm0/vCPU0', 'vm0/vCPU1']) {
    const d = drainOf(run, v);
    if (d && d.dropped > 0) return d.consumed;
  }
  return null;
}

/** The instant of the nth (0-based) gap exit of a vCPU: its nth trace record. */
function nthGapExit(run: LessonRun, vcpu: string, nth: number): number | null {
  const tr = run.data.exits.get(entityByName(run, vcpu));
  if (!tr) return null;
  let k = 0;
  for (let i = 0; i < tr.n; i++) if (tr.gap[i] && k++ === nth) return tr.t[i];
  return null;
}

/** When vm0/vCPU0's ring filled up (its first record past the capacity), or null if it never did. */
function fullAt(run: LessonRun): number | null {
  const cap = capacity(run);
  const d = drainOf(run, 'vm0/vCPU0');
  if (cap === null || !d || d.dropped === 0) return null;
  return nthGapExit(run, 'vm0/vCPU0', cap);
}

/** Records C2 wrote for vm0/vCPU0 in the gap: read at adoption plus overwritten. */
function written(run: LessonRun): number {
  const d = drainOf(run, 'vm0/vCPU0');
  return d ? d.consumed + d.dropped : 0;
}

/** Records a second C2 wrote for vm0/vCPU0 over its whole gap (from its first entry to the drain). */
function rate(run: LessonRun): number {
  const g = entries(run, 'vm0/vCPU0', 'ORPHANED_RUNNING')[0];
  const d = drainOf(run, 'vm0/vCPU0');
  return d && d.t > g ? written(run) / ((d.t - g) / 1e9) : 0;
}

const FULL_CHOICES = ['in the kexec gap, before the new kernel is up', 'after the new kernel is up, just before adoption', 'never: adoption drains it first'];
const SHARE_CHOICES = ['all of them', 'more than half', 'between a tenth and a half', 'under a tenth'];

/**
 * Where the overflow step stands: the new kernel's userspace, well after the ring filled. (The
 * instant it filled, its capacity's worth of gap exits, is computed from the run by `fullAt()`:
 * an anchor cannot count records.)
 */
const UP = { phase: 'newKernelUp' };

export const tracing: Lesson = {
  id: 'tracing',
  order: 7,
  title: 'Tracing in the gap: the remote ring buffer',
  goal: 'Say where the Caretaker\'s trace records go while no kernel runs, who reads them and when, and what a ring that is too small loses.',
  scenario: { preset: 'trace-ring-overflow' },
  concepts: ['trace-ring', 'gap', 'luo-kho', 'adoption', 'caretaker'],
  sources: ['rfc-thread.md Phase F (Tracing in the gap), M6, M10, M12', 'mechanics.md §4.4', 'walkthrough.md §1, §2 rows 2, 7, 13, 16, §6.5', 'orphanvm.md §4'],
  steps: [
    {
      title: 'A ring for each vCPU, in KHO memory',
      text: (run) => {
        const cap = capacity(run);
        return `\`PRESERVE_FD(vcpufd)\` does one more thing before the detach IPI: the old kernel allocates the vCPU's remote trace ring, preserves its pages in KHO (still TRACKING) and gives its physical address to the Caretaker (rfc-thread.md Phase F, the run in the gap: Paolo Bonzini, the KVM maintainer, M6, and Pasha Tatashin, the RFC's author, M10). The ring lanes at the bottom of the timeline show how full each ring is. This preset makes each ring ${cap === null ? 'big enough for the whole gap' : `${n(cap)} records`}, where the lab's default is 32,768 (\`caretaker.traceRingRecords\`, walkthrough §1).`;
      },
      at: { enter: 'vm0/vCPU0', state: 'DETACHING' },
      view: [{ enter: 'vm0/vCPU0', state: 'DETACHING', plus: -1_000_000 }, { enter: 'vm0/vCPU1', state: 'ORPHANED_RUNNING', plus: 2_000_000 }],
      highlight: [
        { from: { enter: 'vm0/vCPU0', state: 'DETACHING' }, to: { enter: 'vm0/vCPU1', state: 'ORPHANED_RUNNING', plus: 2_000_000 }, lanes: ['KHO', 'ring vm0/vCPU0', 'ring vm0/vCPU1'], label: 'the rings live in preserved memory' },
      ],
    },
    {
      title: 'Predict: the only producer, and no reader',
      text: (run) => {
        const g = entries(run, 'vm0/vCPU0', 'ORPHANED_RUNNING')[0];
        const sofar = exitsIn(run, g, phaseAt(run, 'kexec'), 'vm0/vCPU0').gap;
        return `In the gap the Caretaker is the ring's only producer: C2 writes a record for every exit it takes (and one per transition of its own, walkthrough §1) and advances the ring's write pointer itself. Nothing reads: the old kernel's tracing ends at this jump and the new kernel has not booted. By now C2 has written about ${n(sofar)} records for vm0/vCPU0, all still in its ring.`;
      },
      at: { phase: 'kexec' },
      view: [{ phase: 'kexec', plus: -30_000_000 }, { phase: 'kexec', plus: 30_000_000 }],
      highlight: [{ from: { phase: 'kexec', plus: -30_000_000 }, to: { phase: 'kexec', plus: 30_000_000 }, lanes: ['vm0/vCPU0', 'ring vm0/vCPU0'], label: 'each exit, one record' }],
      checkpoint: {
        question: 'The guest keeps exiting about 2,000 times a second. When will the ring of vm0/vCPU0 be full?',
        choices: FULL_CHOICES,
        answer: (run) => {
          const t = fullAt(run);
          return t === null ? 2 : t < phaseAt(run, 'newKernelUp') ? 0 : 1;
        },
        reveal: { phase: 'newKernelUp', plus: 1_000_000 },
        explain: (run) => {
          const t = fullAt(run);
          const cap = capacity(run);
          if (t === null || cap === null) return `Never: C2 wrote ${n(written(run))} records for vm0/vCPU0 in the whole gap, and the ring holds them all until the new kernel drains it.`;
          const g = entries(run, 'vm0/vCPU0', 'ORPHANED_RUNNING')[0];
          return `At about ${fmt(t)}, ${secs(t - g)} into the gap and ${secs(phaseAt(run, 'newKernelUp') - t)} before the new kernel's userspace is up: ${n(cap)} records, at this guest's ${n(Math.round(rate(run)))} records a second. The ring lane turns red there.`;
        },
        tryIt: { patch: { caretaker: { traceRingRecords: 32768 } }, says: "the lab's default ring of 32,768 records (caretaker.traceRingRecords)" },
      },
    },
    {
      title: 'Predict: overflow drops the oldest records',
      text: (run) => {
        const t = fullAt(run);
        const since = t === null ? 'The ring never filled in this run, so nothing was overwritten.' : `The ring of vm0/vCPU0 has been full since about ${fmt(t)}, where its lane turned red.`;
        return `The new kernel's userspace is up. ${since} Past that point each record C2 writes overwrites the oldest one, which the ring counts as dropped (walkthrough §6.5): the lab's choice, and what Linux's own ring buffer does by default. A producer with no reader cannot wait for one; the alternative is to stop writing and keep the oldest records. Either way a full ring loses part of the gap.`;
      },
      at: UP,
      view: [{ enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING' }, UP],
      highlight: [{ from: { enter: 'vm0/vCPU0', state: 'ORPHANED_RUNNING' }, to: UP, lanes: ['ring vm0/vCPU0', 'ring vm0/vCPU1'], label: 'the rings fill, then overwrite their oldest records' }],
      checkpoint: {
        question: 'At adoption the new kernel reads what the ring of vm0/vCPU0 holds. What share of the records C2 wrote for it in the gap will that be?',
        choices: SHARE_CHOICES,
        answer: (run) => {
          const d = drainOf(run, 'vm0/vCPU0');
          if (!d || d.dropped === 0) return 0;
          return 3 - bucket(d.consumed / (d.consumed + d.dropped), [0.1, 0.5]);
        },
        reveal: { enter: 'C2', state: 'STOPPED', plus: 1000 },
        explain: (run) => {
          const d = drainOf(run, 'vm0/vCPU0');
          if (!d) return 'The ring of vm0/vCPU0 was never drained in this run.';
          if (d.dropped === 0) return `All of them: the new kernel read ${n(d.consumed)} records, every one C2 wrote for vm0/vCPU0.`;
          const g = entries(run, 'vm0/vCPU0', 'ORPHANED_RUNNING')[0];
          const oldest = nthGapExit(run, 'vm0/vCPU0', d.dropped) ?? d.t;
          return `${((100 * d.consumed) / (d.consumed + d.dropped)).toFixed(1)} %: the new kernel read ${n(d.consumed)} of the ${n(d.consumed + d.dropped)} records C2 wrote; ${n(d.dropped)} were overwritten. What survives covers only the last ${secs(d.t - oldest)} before adoption; the first ${secs(oldest - g)} of the gap are gone.`;
        },
        tryIt: { patch: { timing: { kexecGap: '2s' } }, says: 'a host that reboots in 2 s instead of 8 s (timing.kexecGap)' },
      },
    },
    {
      title: 'Adoption: the new kernel becomes the reader',
      text: (run) => {
        const a = drainOf(run, 'vm0/vCPU0');
        const b = drainOf(run, 'vm0/vCPU1');
        const tr = run.report.trace;
        const read = a && b ? ` It read ${n(a.consumed)} records for vm0/vCPU0 and ${n(b.consumed)} for vm0/vCPU1.` : '';
        return `The attach IPI makes C2 write its last records and stop (STOPPED). The new kernel, whose KHO is RESTORED, takes the ring back and re-attaches it to its tracing subsystem as the consumer (Pasha, M10; Paolo, M12: "this should work with remote trace buffers"), as upstream trace remotes are read through tracefs \`remotes/\` (mechanics.md §4.4).${read} Over the run, ${n(tr.produced)} records were produced = ${n(tr.consumed)} consumed + ${n(tr.dropped)} dropped + ${n(tr.pending)} pending: nothing vanishes unaccounted (invariant 5).`;
      },
      at: { enter: 'C2', state: 'STOPPED', plus: 1000 },
      view: [{ enter: 'vm0/vCPU0', state: 'ADOPTING', plus: -500_000 }, { enter: 'vm0/vCPU1', state: 'ADOPTED', plus: 500_000 }],
      highlight: [
        { from: { enter: 'vm0/vCPU0', state: 'ADOPTING' }, to: { enter: 'vm0/vCPU0', state: 'ADOPTED' }, lanes: ['ring vm0/vCPU0', 'C2'], label: 'vm0/vCPU0\'s ring drained' },
        { from: { enter: 'vm0/vCPU1', state: 'ADOPTING' }, to: { enter: 'vm0/vCPU1', state: 'ADOPTED' }, lanes: ['ring vm0/vCPU1', 'C3'], label: 'vm0/vCPU1\'s ring drained' },
      ],
    },
    {
      title: 'Sizing the ring, and what came before it',
      text: (run) => {
        const r = rate(run);
        const lasts = r > 0 ? ` At this guest's ${n(Math.round(r))} records a second, the default 32,768-record ring lasts about ${secs((32768 / r) * 1e9)}: enough for this gap, not for a 30 s one (the "5-to-30-second Management Gap" of the author's later DESIGN_V2 note, rfc-thread.md §7).` : '';
        return `The new VMM resumes \`KVM_RUN\` at ${fmt(phaseAt(run, 'adopted'))}; \`LIVEUPDATE_SESSION_FINISH\` frees the rings (walkthrough §2, row 16).${lasts} Pasha's original RFC (M1) kept only counters per exit reason; the prototype still keeps seven (\`kvm_caretaker_telemetry_ser\`, orphanvm.md §4) and has no ring. Counters cannot overflow, but lose the order and time of every event.`;
      },
      at: { phase: 'finish' },
      view: [{ phase: 'adopted', plus: -1_000_000 }, { phase: 'finish', plus: 2_000_000 }],
      highlight: [{ from: { phase: 'adopted' }, to: { phase: 'finish' }, lanes: ['LUO session vm0', 'VMM′ vm0'], label: 'until FINISH the rings stay in preserved memory' }],
    },
  ],
};
