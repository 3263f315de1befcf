/**
 * The deterministic engine: simulated time in integer ns, one event queue, one seeded PRNG, and
 * the event log. The hot path is guest exits (one queue entry per vCPU, handled by table lookup
 * in the Caretaker core); lifecycle changes go through the machines with `fire()`. The live
 * update protocol itself is in protocol.ts.
 */
import { createQueue, pop, push, replaceTop } from '../../base/heap.ts';
import { nextExpNs, nextFloat, nextQuantileNs, seedPrng } from '../../base/prng.ts';
import { EngineBug } from '../../base/assert.ts';
import type { Ns } from '../../base/time.ts';
import { initialState, nextState, type MachineId } from '../../machines/index.ts';
import { EventLog, EXIT_GAP_BIT, IPI_PURPOSE_NAMES, L } from '../eventlog.ts';
import { Disp, NUM_EXITS, X } from '../exits.ts';
import { coreConfig, dispositionTable, MODE_ATTACHED, MODE_GAP } from '../caretakerCore.ts';
import type { ResolvedScenario } from '../scenario.ts';
import { INV } from '../invariants.ts';
import type { Ent, EntKind, Hot, IpiPurpose, PauseTracker, SimState } from './state.ts';
import * as P from './protocol.ts';
import * as R from './rfcv1.ts';
import * as AR from './asyncRun.ts';

/** pCPU states in which a Caretaker or the prototype's preserved runtime owns the CPU. */
const CARETAKER_OWNED = new Set(['CARETAKER', 'WEDGED', 'PARKED', 'WORKLOAD', 'EXITING']);

/** Queue event kinds. */
export const Q = {
  EXIT: 0,
  STEP: 1,
  FAULT: 2,
  VMM: 3,
  KERNEL: 4,
  IPI: 5,
  VCPU: 6,
  TIMEOUT: 7,
  SHOOT: 8,
  ACK: 9,
  DEVIRQ: 10,
  TOUCH: 11,
  ONCORE: 13,
  ASYNC: 14,
} as const;

const NE = NUM_EXITS;
const ND = 5;

export function newPause(running: number): PauseTracker {
  return { running, lastExitEnd: -1, openSince: -1, pauseNs: 0, blackoutNs: 0, prevMax: 0, runStart: -1, runEnd: -1 };
}

export class Engine {
  st: SimState;
  log: EventLog;
  /** Per-vCPU base exit rates (per second) by exit kind: workload, devices, lazy memory. */
  readonly baseRates: Float64Array;
  readonly ctTables: Uint8Array[];
  /** Per vCPU: its attached disposition table (ctTables[0], or KVM's alone for a VM without a Caretaker). */
  readonly attachedTables: Uint8Array[];
  /** Whether Caretakers write a trace ring (the thread's design; the prototype keeps telemetry counters). */
  readonly ringOn: boolean;
  /** async-run: the "gap" is a VMM gap under a live kernel, not a Caretaker's run. */
  readonly kernelGap: boolean;
  /** Per vCPU: its VM's measured inter-arrival shape (mean 1), or null for a Poisson stream. */
  readonly shapes: (Float64Array | null)[];
  /** Passthrough devices that raise interrupts, in scenario order (derived from the scenario). */
  readonly devices: { vm: number; vcpu: number; posted: boolean; rate: number; name: string }[] = [];

  constructor(sc: ResolvedScenario) {
    this.log = new EventLog();
    const nv = sc.vms.reduce((n, vm) => n + vm.vcpus, 0);
    const core = coreConfig(sc);
    const hz = sc.host.clockGHz;
    const cyc = sc.timing.exitCycles;
    const dispCost = [0, Math.round(cyc.fastpath / hz), Math.round(cyc.worldSwitch / hz), Math.round(cyc.host / hz), Math.round(cyc.userspace / hz)];
    this.shapes = sc.vms.flatMap((vm) => {
      const sh = vm.interArrival ? Float64Array.from(vm.interArrival) : null;
      return Array.from({ length: vm.vcpus }, () => sh);
    });
    const hot: Hot = {
      gen: new Int32Array(nv),
      meanNs: new Float64Array(nv),
      mode: new Uint8Array(nv),
      cum: new Float64Array(nv * NE),
      kinds: new Int32Array(nv * NE),
      nk: new Int32Array(nv),
      disp: new Uint8Array(nv * NE),
      cost: new Float64Array(nv * NE),
      counts: new Float64Array(nv * NE * ND),
      busyUntil: new Float64Array(nv),
      shootGen: new Int32Array(nv),
      ringFill: new Float64Array(nv),
      ringProduced: new Float64Array(nv),
      ringConsumed: new Float64Array(nv),
      ringDropped: new Float64Array(nv),
      exitNs: new Float64Array(nv),
      gapCounts: new Float64Array(nv * NE * ND),
      waitExitNs: new Float64Array(nv),
      waiting: new Uint8Array(nv),
      yieldHook: new Uint8Array(nv),
      executing: new Uint8Array(nv),
      ent: new Int32Array(nv),
      vm: new Int32Array(nv),
    };
    this.st = {
      sc,
      core,
      now: 0,
      q: createQueue(256),
      prng: seedPrng(sc.seed),
      ents: [],
      kernels: [],
      pcpus: [],
      vms: [],
      vcpus: [],
      khoEnt: -1,
      kexecFail: 'none',
      kho: [],
      ipis: [],
      phases: { preserve: null, kexec: null, newKernelUp: null, adopted: null, finish: null },
      hotplugBusyUntil: 0,
      armed: [],
      hsSeq: 0,
      guestIpiSeq: 0,
      invChecked: 0,
      violations: [],
      kexecRequested: false,
      rebootAt: -1,
      cancelled: false,
      ended: false,
      dispCost,
      worldSwitchNs: dispCost[Disp.STALLED],
      hot,
    };
    this.ctTables = [dispositionTable(MODE_ATTACHED, core), dispositionTable(MODE_GAP, core)];
    // rfc-v0's permanent shim changes the attached path only for VMs that installed a Caretaker
    const plain = sc.design === 'rfc-v0' ? dispositionTable(MODE_ATTACHED, { ...core, design: 'classic' }) : this.ctTables[0];
    this.attachedTables = sc.vms.flatMap((vm) => Array.from({ length: vm.vcpus }, () => (vm.optIn ? this.ctTables[0] : plain)));
    this.ringOn = sc.design === 'converged';
    this.kernelGap = sc.design === 'async-run';
    this.baseRates = new Float64Array(nv * NE);
    P.buildWorld(this);
  }

  get now(): Ns {
    return this.st.now;
  }

  // ------------------------------------------------------------------------------------------
  // entities and machines

  addEnt(kind: EntKind, name: string, machine: MachineId | null, state?: string): number {
    const ent: Ent = { kind, name, machine, state: state ?? (machine ? initialState(machine) : ''), since: this.st.now };
    this.st.ents.push(ent);
    const id = this.st.ents.length - 1;
    this.log.push(this.st.now, L.MESSAGE, id, this.log.str(`created ${kind} ${name}`), this.log.str(ent.state));
    return id;
  }

  /** Sends `event` to an entity's machine; the machine must accept it (the engine's protocol is checked against the machines). */
  fire(ent: number, event: string): void {
    const e = this.st.ents[ent];
    if (!e.machine) throw new EngineBug(`${e.name} has no machine`);
    const to = nextState(e.machine, e.state, event);
    if (to === null) throw new EngineBug(`${e.machine} ${e.name}: ${event} is not accepted in ${e.state}`);
    const log = this.log;
    log.push(this.st.now, L.TRANSITION, ent, log.str(event), (log.str(e.state) << 16) | log.str(to));
    e.state = to;
    e.since = this.st.now;
  }

  stateOf(ent: number): string {
    return this.st.ents[ent].state;
  }

  /** Logs a kernel function, ioctl or syscall performed on behalf of an entity. */
  op(ent: number, name: string, detail = ''): void {
    this.log.push(this.st.now, L.OP, ent, this.log.str(name), this.log.str(detail));
  }

  message(ent: number, text: string): void {
    this.log.push(this.st.now, L.MESSAGE, ent, this.log.str(text), 0);
  }

  at(delay: Ns, kind: number, a: number, b: number): void {
    push(this.st.q, this.st.now + delay, kind, a, b);
  }

  /** Records an invariant check; a failure is a violation in the report and on the timeline. */
  check(id: number, ok: boolean, message: () => string): boolean {
    this.st.invChecked++;
    if (!ok) {
      const m = message();
      if (this.st.violations.some((v) => v.id === id && v.message === m)) return ok; // a standing breach is reported once
      this.st.violations.push({ id, atNs: this.st.now, message: m });
      this.log.push(this.st.now, L.INVARIANT, this.st.khoEnt, id, this.log.str(m));
    }
    return ok;
  }

  /**
   * Invariants 1, 2 and 5 after every lifecycle event (exits cannot change them): each pCPU's
   * owner matches its state, every executing vCPU runs where it may, trace rings are conserved.
   */
  checkAll(): void {
    const st = this.st;
    const hot = st.hot;
    for (const p of st.pcpus) {
      const s = st.ents[p.ent].state;
      const want = s === 'ONLINE' ? 'host' : CARETAKER_OWNED.has(s) ? 'caretaker' : 'nobody';
      this.check(INV.ONE_OWNER, p.owner === want, () => `CPU ${p.id} is ${s} but owned by ${p.owner}`);
    }
    for (let v = 0; v < st.vcpus.length; v++) {
      const vc = st.vcpus[v];
      if (vc.executing) {
        const p = st.pcpus[P.runningCpu(this, v)];
        const ok =
          hot.mode[v] === MODE_GAP && !this.kernelGap
            ? p.owner === 'caretaker' && p.vcpu === v && !p.wedged
            : p.owner === 'host' && p.kernel === vc.kvm && st.ents[st.kernels[p.kernel]].state !== 'JUMP';
        this.check(INV.EXEC_OWNER, ok, () => `${this.vcpuName(v)} executes on CPU ${p.id} owned by ${p.owner}`);
      }
      if (vc.ct >= 0) {
        this.check(INV.TRACE_CONSERVED, hot.ringProduced[v] === hot.ringConsumed[v] + hot.ringDropped[v] + hot.ringFill[v], () => `${this.vcpuName(v)} trace records not conserved`);
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // the loop

  /** Processes every event up to `t` (and not past `until`); leaves `now` at min(t, until). */
  runUntil(t: Ns): void {
    const end = Math.min(t, this.st.sc.until);
    this.loop(end, Infinity);
    if (end > this.st.now) this.st.now = end;
    this.finishIfEnded();
  }

  /** Processes the next event (stale exit entries do not count); false when none is left before `until`. */
  step(): boolean {
    const st = this.st;
    const n = this.loop(st.sc.until, 1);
    if (n === 0) {
      if (st.sc.until > st.now) st.now = st.sc.until;
      this.finishIfEnded();
      return false;
    }
    return true;
  }

  private finishIfEnded(): void {
    const st = this.st;
    if (st.now >= st.sc.until && !st.ended) {
      st.ended = true;
      P.endOfRun(this);
    }
  }

  /** The event loop: handles queue entries with time <= end, at most `max` of them; returns how many. */
  private loop(end: Ns, max: number): number {
    const st = this.st;
    const q = st.q;
    const hot = st.hot;
    const gen = hot.gen;
    const cum = hot.cum;
    const kinds = hot.kinds;
    const nk = hot.nk;
    const disp = hot.disp;
    const cost = hot.cost;
    const counts = hot.counts;
    const mean = hot.meanNs;
    const mode = hot.mode;
    const busy = hot.busyUntil;
    const exitNs = hot.exitNs;
    const waiting = hot.waiting;
    const entOf = hot.ent;
    const vmOf = hot.vm;
    const prng = st.prng;
    const log = this.log;
    const pts = st.vms.map((vm) => vm.pause);
    const gapCounts = hot.gapCounts;
    const ringProduced = hot.ringProduced;
    const ringFill = hot.ringFill;
    const ringDropped = hot.ringDropped;
    const ringCap = st.sc.caretaker.traceRingRecords;
    const ringOn = this.ringOn;
    const yieldHook = hot.yieldHook;
    const shapes = this.shapes;
    let done = 0;
    while (done < max && q.size > 0 && q.time[0] <= end) {
      const time = q.time[0];
      if (q.kind[0] === Q.EXIT) {
        const v = q.a[0];
        if (q.b[0] !== gen[v]) {
          pop(q);
          continue;
        }
        if (time < busy[v]) {
          // an exit from outside the workload stream is still in progress: this one waits for it
          replaceTop(q, busy[v], Q.EXIT, v, gen[v]);
          continue;
        }
        st.now = time;
        done++;
        const base = v * NE;
        const u = nextFloat(prng);
        const n = nk[v] - 1;
        let j = 0;
        while (j < n && u >= cum[base + j]) j++;
        const k = kinds[base + j];
        const d = disp[base + k];
        counts[(base + k) * ND + d]++;
        if (d === Disp.STALLED) {
          gapCounts[(base + k) * ND + d]++; // only a detached vCPU stalls
          pop(q);
          P.stall(this, v, k);
          continue;
        }
        const c = cost[base + k];
        const end = time + c;
        log.push(time, L.EXIT, entOf[v], k | (d << 8) | (mode[v] === MODE_GAP ? EXIT_GAP_BIT : 0), c);
        exitNs[v] += c;
        if (waiting[v] !== 0) hot.waitExitNs[v] += c;
        if (mode[v] === MODE_GAP) {
          gapCounts[(base + k) * ND + d]++;
          if (ringOn) {
            ringProduced[v]++;
            if (ringFill[v] >= ringCap) ringDropped[v]++;
            else ringFill[v]++;
          }
        }
        const pt = pts[vmOf[v]];
        if (pt.running === 1) addInterval(pt, time, end);
        else if (pt.lastExitEnd > time) this.exitOverlap(pt, v, time, end);
        if (end > pt.lastExitEnd) pt.lastExitEnd = end;
        busy[v] = end;
        const sh = shapes[v];
        replaceTop(q, end + (sh === null ? nextExpNs(prng, mean[v]) : nextQuantileNs(prng, sh, mean[v])), Q.EXIT, v, gen[v]);
        // rfcv1 with jobs waiting: an idle exit (HLT, PAUSE, MWAIT) yields the CPU
        if (yieldHook[v] !== 0 && (k === X.HLT || k === X.PAUSE || k === X.MWAIT) && mode[v] === MODE_GAP) R.idleExit(this, v);
        continue;
      }
      st.now = time;
      done++;
      const kind = q.kind[0];
      const a = q.a[0];
      const b = q.b[0];
      pop(q);
      this.dispatch(kind, a, b);
      this.checkAll();
    }
    return done;
  }

  private dispatch(kind: number, a: number, b: number): void {
    switch (kind) {
      case Q.STEP:
        return P.onStep(this, a);
      case Q.FAULT:
        return P.onFault(this, a);
      case Q.VMM:
        return P.vmmNext(this, a, b);
      case Q.KERNEL:
        return P.kernelNext(this, a, b);
      case Q.IPI:
        return P.ipiArrive(this, a);
      case Q.VCPU:
        return P.vcpuNext(this, a, b);
      case Q.TIMEOUT:
        return P.handshakeTimeout(this, a, b);
      case Q.SHOOT:
        return P.shootdown(this, a, b);
      case Q.ACK:
        return P.shootdownAck(this, a, b);
      case Q.DEVIRQ:
        return P.deviceIrq(this, a, b);
      case Q.TOUCH:
        return P.touchFreed(this, a);
      case Q.ONCORE:
        return R.oncoreNext(this, a, b);
      case Q.ASYNC:
        return AR.asyncNext(this, a, b);
      default:
        throw new EngineBug(`unknown queue event kind ${kind}`);
    }
  }

  // ------------------------------------------------------------------------------------------
  // guest execution

  /** The vCPU starts executing guest code (mode: attached to a live KVM, or in the gap). */
  resume(v: number, mode: number, why: string): void {
    const st = this.st;
    const vc = st.vcpus[v];
    if (vc.executing) throw new EngineBug(`${st.ents[vc.ent].name} is already executing`);
    const now = st.now;
    vc.executing = true;
    st.hot.executing[v] = 1;
    vc.execSince = now;
    if (vc.waitAcks === 0) vc.progressSince = now;
    this.log.push(now, L.EXEC, vc.ent, 1, this.log.str(why));
    const pt = st.vms[vc.vm].pause;
    pt.running++;
    if (pt.openSince >= 0) {
      addInterval(pt, pt.openSince, now);
      pt.openSince = -1;
    } else if (pt.runEnd > now) {
      // an all-stopped run was counted to the end of exits in progress: this vCPU ends it now
      pt.pauseNs -= pt.runEnd - now;
      pt.runEnd = now;
      pt.blackoutNs = Math.max(pt.prevMax, pt.runEnd - pt.runStart);
    }
    this.setStream(v, mode);
    P.onExecuting(this, v);
  }

  /** The vCPU stops executing guest code (paused, stalled, wedged, terminated). */
  halt(v: number, why: string): void {
    const st = this.st;
    const vc = st.vcpus[v];
    if (!vc.executing) throw new EngineBug(`${st.ents[vc.ent].name} is not executing`);
    const now = st.now;
    vc.executing = false;
    st.hot.executing[v] = 0;
    // stopped by force in the middle of an exit (a wedge, a termination): the rest of that exit
    // never runs, so it is no exit time of an executing vCPU (guestNs, progressNs)
    const rest = st.hot.busyUntil[v] - now;
    if (rest > 0) {
      st.hot.exitNs[v] -= rest;
      if (st.hot.waiting[v] !== 0) st.hot.waitExitNs[v] -= rest;
      st.hot.busyUntil[v] = now;
    }
    vc.execNs += now - vc.execSince;
    if (vc.waitAcks === 0) vc.progressNs += now - vc.progressSince;
    this.log.push(now, L.EXEC, vc.ent, 0, this.log.str(why));
    st.hot.gen[v]++;
    st.hot.shootGen[v]++;
    st.hot.meanNs[v] = 0;
    const pt = st.vms[vc.vm].pause;
    pt.running--;
    if (pt.running === 0) pt.openSince = now;
    else if (pt.lastExitEnd > now) this.stopOverlap(pt, v, now);
  }

  /** Builds the exit stream of an executing vCPU for a mode and schedules its next exit. */
  setStream(v: number, mode: number): void {
    const st = this.st;
    const hot = st.hot;
    const table = mode === MODE_GAP ? this.ctTables[1] : this.attachedTables[v];
    const base = v * NE;
    // a vCPU spinning for TLB-shootdown acknowledgements (smp_call_function_many_cond()) never
    // goes idle: no HLT or MWAIT exits while it waits (its PAUSE exits, if any, go on)
    const spinning = st.vcpus[v].waitAcks > 0;
    let total = 0;
    let n = 0;
    for (let k = 0; k < NE; k++) {
      const d = table[k];
      hot.disp[base + k] = d;
      hot.cost[base + k] = st.dispCost[d];
      const r = spinning && (k === X.HLT || k === X.MWAIT) ? 0 : this.baseRates[base + k];
      if (r > 0 && d !== Disp.NONE) {
        hot.kinds[base + n] = k;
        total += r;
        hot.cum[base + n] = total;
        n++;
      }
    }
    for (let j = 0; j < n; j++) hot.cum[base + j] /= total;
    hot.nk[v] = n;
    hot.mode[v] = mode;
    hot.gen[v]++;
    hot.meanNs[v] = total > 0 ? 1e9 / total : 0;
    const sh = this.shapes[v];
    if (n > 0) push(st.q, st.now + (sh === null ? nextExpNs(st.prng, 1e9 / total) : nextQuantileNs(st.prng, sh, 1e9 / total)), Q.EXIT, v, hot.gen[v]);
    P.scheduleShootdown(this, v);
  }

  /**
   * Counts and logs one exit outside the workload stream (protocol IPIs, device interrupts,
   * shootdown ICR writes). `charge` false: the vCPU leaves the guest at this exit and does not
   * return (a forced exit before a pause), so no exit time is charged to it.
   */
  extraExit(v: number, kind: number, d: Disp, costNs: Ns, charge = true): void {
    const st = this.st;
    const vc = st.vcpus[v];
    st.hot.counts[(v * NE + kind) * ND + d]++;
    const gap = st.hot.mode[v] === MODE_GAP && (vc.executing || d === Disp.STALLED);
    if (gap) st.hot.gapCounts[(v * NE + kind) * ND + d]++;
    this.log.push(st.now, L.EXIT, vc.ent, kind | (d << 8) | (gap ? EXIT_GAP_BIT : 0), costNs);
    if (d !== Disp.STALLED && vc.executing && charge) {
      const end = st.now + costNs;
      st.hot.exitNs[v] += costNs;
      if (st.hot.waiting[v] !== 0) st.hot.waitExitNs[v] += costNs;
      st.hot.busyUntil[v] = end;
      const pt = st.vms[vc.vm].pause;
      if (pt.running === 1) addInterval(pt, st.now, end);
      else if (pt.lastExitEnd > st.now) this.exitOverlap(pt, v, st.now, end);
      if (end > pt.lastExitEnd) pt.lastExitEnd = end;
    }
    if (st.hot.mode[v] === MODE_GAP && vc.executing) this.produceOne(v);
  }

  /** The Caretaker writes one record into the vCPU's trace ring; a full ring overwrites the oldest. */
  produceOne(v: number): void {
    if (!this.ringOn) return;
    const hot = this.st.hot;
    hot.ringProduced[v]++;
    if (hot.ringFill[v] >= this.st.sc.caretaker.traceRingRecords) hot.ringDropped[v]++;
    else hot.ringFill[v]++;
  }

  /** The Caretaker writes `n` records into the vCPU's trace ring. */
  produce(v: number, n: number): void {
    if (!this.ringOn) return;
    const hot = this.st.hot;
    const cap = this.st.sc.caretaker.traceRingRecords;
    for (let i = 0; i < n; i++) {
      hot.ringProduced[v]++;
      if (hot.ringFill[v] >= cap) hot.ringDropped[v]++;
      else hot.ringFill[v]++;
    }
  }

  exitCount(v: number, kind: number, d: Disp): number {
    return this.st.hot.counts[(v * NE + kind) * ND + d];
  }

  // ------------------------------------------------------------------------------------------
  // IPIs

  /** Sends a host IPI or NMI kick; faults may drop or delay it. Returns the IPI id. */
  sendIpi(from: number, to: number, purpose: IpiPurpose, vcpu: number, latency: Ns, hsGen = -1): number {
    const st = this.st;
    const id = st.ipis.length;
    let lat = latency;
    let lost = st.pcpus[to].wedged;
    if (purpose === 'detach' || purpose === 'attach' || purpose === 'invalidate' || purpose === 'park') {
      for (const a of st.armed) {
        const f = st.sc.faults[a.index];
        if (a.remaining <= 0 || (f.kind !== 'drop-ipi' && f.kind !== 'delay-ipi') || f.cpu !== to) continue;
        if (f.purpose !== 'any' && f.purpose !== purpose) continue;
        a.remaining--;
        if (f.kind === 'drop-ipi') lost = true;
        else lat += f.by;
        this.log.push(st.now, L.FAULT, st.pcpus[to].ent, a.index, this.log.str(f.kind === 'drop-ipi' ? `${purpose} IPI to CPU ${to} will be lost` : `${purpose} IPI to CPU ${to} delayed`));
        break;
      }
    }
    st.ipis.push({ id, from, to, purpose, vcpu, hsGen, sentAt: st.now, arriveAt: st.now + lat, status: lost ? 'lost' : 'flight' });
    this.log.push(st.now, L.IPI_SEND, st.pcpus[to].ent, id, (from << 16) | IPI_PURPOSE_NAMES.indexOf(purpose));
    this.at(lat, Q.IPI, id, 0);
    return id;
  }

  /** The earliest end among the exits peersInExit() counted (or the cap it was given). */
  private peerExitEnd = 0;

  /**
   * Of the other executing vCPUs of v's VM, how many are inside an exit at t; the earliest of
   * their exit ends (at most `cap`) is left in peerExitEnd. No allocation: this is on the exit path.
   */
  private peersInExit(v: number, t: Ns, cap: Ns): number {
    const hot = this.st.hot;
    let inExit = 0;
    let minEnd = cap;
    for (const u of this.st.vms[hot.vm[v]].vcpus) {
      if (u === v || hot.executing[u] === 0) continue;
      const b = hot.busyUntil[u];
      if (b > t) {
        inExit++;
        if (b < minEnd) minEnd = b;
      }
    }
    this.peerExitEnd = minEnd;
    return inExit;
  }

  /**
   * An executing vCPU starts an exit [t, e] while others execute and some exit may be in
   * progress: the VM is all stopped while every other executing vCPU is inside an exit too.
   */
  private exitOverlap(pt: PauseTracker, v: number, t: Ns, e: Ns): void {
    if (this.peersInExit(v, t, e) === pt.running - 1) addInterval(pt, t, this.peerExitEnd);
  }

  /** A vCPU stopped executing at t while others still execute: all stopped if those are all in exits. */
  private stopOverlap(pt: PauseTracker, v: number, t: Ns): void {
    const inExit = this.peersInExit(v, t, Infinity);
    if (inExit === pt.running && inExit > 0) addInterval(pt, t, this.peerExitEnd);
  }

  vcpuName(v: number): string {
    return this.st.ents[this.st.vcpus[v].ent].name;
  }

}



// ---------------------------------------------------------------------------------------------
// all-stopped intervals of a VM (pauseNs, blackoutNs)

export function addInterval(pt: PauseTracker, s: Ns, e: Ns): void {
  if (e <= s) return;
  if (pt.runStart >= 0 && s <= pt.runEnd) {
    // overlaps or touches the current all-stopped run: count only what extends it
    if (e <= pt.runEnd) return;
    pt.pauseNs += e - pt.runEnd;
    pt.runEnd = e;
  } else {
    if (pt.runStart >= 0) pt.prevMax = Math.max(pt.prevMax, pt.runEnd - pt.runStart);
    pt.pauseNs += e - s;
    pt.runStart = s;
    pt.runEnd = e;
  }
  if (pt.runEnd - pt.runStart > pt.blackoutNs) pt.blackoutNs = pt.runEnd - pt.runStart;
}

