/**
 * The ten invariants of design.md §6, checked by the engine as the run goes. Each check is
 * counted; a failure becomes a violation in the report and a red mark on the timeline.
 */
export const INV = {
  ONE_OWNER: 1,
  EXEC_OWNER: 2,
  KNOWN_STATE: 3,
  NO_LOST_EXIT: 4,
  TRACE_CONSERVED: 5,
  IPI_ACCOUNTED: 6,
  NO_FREE_WHILE_MAPPED: 7,
  NO_SIPI_PRESERVED: 8,
  TIME_MONOTONIC: 9,
  KHO_PRESERVED: 10,
} as const;

export const INVARIANT_TEXT: Readonly<Record<number, string>> = {
  1: 'A pCPU has exactly one owner at a time: the host kernel, a Caretaker, or nobody',
  2: 'A vCPU executes guest code only on a pCPU owned by an attached KVM of a live kernel or by a Caretaker',
  3: 'A Caretaker is replaced, and a vCPU state is read by a new kernel, only in a known state',
  4: 'No exit is lost: handled, pending on a stalled vCPU, or reported with a terminated VM',
  5: 'Trace records are conserved: produced = consumed + dropped + pending',
  6: 'Every IPI, NMI kick and INIT/SIPI is delivered, or counted lost while the protocol takes its timeout path',
  7: 'No guest page a detached vCPU may use is freed without first forcing that vCPU out of the guest',
  8: 'The new kernel never sends INIT/SIPI to, or onlines without adoption, a preserved pCPU',
  9: 'Guest time never runs backwards (TSC offset and PV clock preserved across the handover)',
  10: 'Everything the new kernel reads from KHO was preserved by the old one',
};
