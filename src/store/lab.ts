/**
 * The lab's state for the UI (a vanilla Zustand store): the loaded scenario, the mirror of the
 * event log, the cursor (the engine's instant) and the playhead, the visible window, playback,
 * selection and reports. It reaches the engine only through a SimClient; requests that move the
 * engine are serialized and the latest target wins, so a dragged cursor never queues stale work.
 */
import { createStore } from 'zustand/vanilla';
import type { Ns } from '../base/time.ts';
import type { SimClient } from '../sim/client.ts';
import type { MachineGraph } from '../sim/protocol.ts';
import type { RunReport } from '../model/report.ts';
import type { SchemaError } from '../model/schema.ts';
import type { SimSnapshot } from '../model/snapshot.ts';
import { DEFAULT_PRESET, presetById } from '../model/presets.ts';
import { TimelineData } from './logMirror.ts';

/** A lit region of the timeline (a lesson step's highlight): a time range over some lanes (null: all). */
export interface HighlightRegion {
  t0: Ns;
  t1: Ns;
  laneKeys: string[] | null;
  label: string;
}

export type Selection = { kind: 'record'; index: number } | { kind: 'ipi'; id: number } | { kind: 'ring'; vcpu: number; t: number };

/** Runs estimated above this many events open at t = 0 instead of being computed whole at load. */
export const LARGE_RUN_EVENTS = 2_500_000;

/** A forward move mirrors at most about this many records at a time. */
export const MAX_DELTA_EVENTS = 50_000;
/** The first forward move of a run, before its rate is known: this much simulated time. */
const FIRST_PIECE_NS = 50_000_000;

/** Playback speeds: simulated time per wall time, from 100× down to 1/10⁶. */
export const SPEEDS = [100, 10, 1, 0.1, 0.01, 1e-3, 1e-4, 1e-5, 1e-6] as const;

export interface LabState {
  /** The preset the loaded scenario is, or '' for one from a link or the editor. */
  presetId: string;
  /** The loaded scenario as its JSON input (what Share puts in a link and the editor shows). */
  scenarioRaw: unknown;
  /** A message about the page itself (a bad link, a replay that differs), shown until dismissed. */
  notice: string | null;
  title: string;
  description: string;
  design: string;
  until: Ns;
  ringCapacity: number;
  status: 'idle' | 'loading' | 'ready' | 'error';
  errors: SchemaError[];
  message: string | null;
  data: TimelineData;
  dataVersion: number;
  /** The engine's instant. */
  cursor: Ns;
  /** Where playback wants the cursor to be. */
  playhead: Ns;
  snapshot: SimSnapshot | null;
  report: RunReport | null;
  classicReport: RunReport | null;
  machines: MachineGraph[];
  playing: boolean;
  speed: number;
  view: { t0: Ns; t1: Ns };
  selection: Selection | null;
  /** Entity whose machine the state panel shows. */
  focus: number;
  /** Regions the timeline lights up (a lesson step's highlights). */
  highlights: HighlightRegion[];
  /** Hide the computed future beyond the cursor (a checkpoint waiting for a prediction). */
  veiled: boolean;
  /** A bounded playback (a checkpoint's "watch"): to this instant at this speed, then stop. */
  watch: { to: Ns; speed: number } | null;

  loadPreset(id: string): Promise<void>;
  /** Loads and runs a scenario; an invalid one leaves the current run on screen and returns its errors. */
  loadScenario(raw: unknown, presetId?: string): Promise<{ ok: true } | { ok: false; errors: SchemaError[]; message: string; superseded?: true }>;
  setNotice(notice: string | null): void;
  seek(t: Ns): Promise<void>;
  stepEvent(): Promise<void>;
  /** The next (1) or previous (-1) phase instant from the cursor, the run's ends included; null past them. */
  phaseStop(dir: 1 | -1): Ns | null;
  jumpPhase(dir: 1 | -1): Promise<void>;
  play(): void;
  pause(): void;
  togglePlay(): void;
  setSpeed(s: number): void;
  setView(t0: Ns, t1: Ns): void;
  fit(): void;
  setOverlay(highlights: HighlightRegion[], veiled: boolean): void;
  /** Plays from the cursor to t, taking about `wallMs` of wall time, and stops there. */
  playTo(t: Ns, wallMs: number): void;
  select(sel: Selection | null, focus?: number): void;
  /** Advance the playhead by a wall-clock interval (called each frame while playing). */
  tick(wallMs: number): void;
  /** The RunReport of the whole run, whatever the cursor (as `caretaker-lab run --json`). */
  wholeReport(): Promise<RunReport>;
  /** The Chrome JSON trace of the whole run (as `caretaker-lab trace` writes it). */
  traceJson(): Promise<{ json: string; events: number; capped: boolean }>;
}

export type LabStore = ReturnType<typeof createLabStore>;

export function createLabStore(client: SimClient) {
  let loadSeq = 0;
  let busy = false;
  let pendingTarget: Ns | null = null;
  let reportTimer = 0;
  /** Records per simulated ns in the last forward move (0: not known yet). */
  let eventsPerNs = 0;
  /** Bumped by every load: a move answered for an older run is dropped. */
  let moveGen = 0;
  /** Callers waiting for the engine to arrive (resolved when the move loop goes idle). */
  let idleWaiters: (() => void)[] = [];

  const store = createStore<LabState>()((set, get) => {
    /**
     * Moves the engine to t (forwards or backwards), mirroring new log records; the latest target
     * wins, and the promise resolves once the engine is idle there. A long way forward goes in
     * pieces of about MAX_DELTA_EVENTS records (sized from the rate seen so far), so no single
     * delta blocks the main thread while it is mirrored (npm run soak counts long tasks).
     */
    function moveEngine(t: Ns): Promise<void> {
      const arrived = new Promise<void>((resolve) => idleWaiters.push(resolve));
      requestMove(t);
      return arrived;
    }

    /** The same without waiting (playback asks every frame). */
    function requestMove(t: Ns): void {
      pendingTarget = t;
      if (!busy) void moveLoop();
    }

    /** Moves until no target is pending; the answer to a move that a new load overtook is dropped. */
    async function moveLoop(): Promise<void> {
      busy = true;
      try {
        while (pendingTarget !== null) {
          const target: Ns = pendingTarget;
          pendingTarget = null;
          const mine = moveGen;
          const { data, cursor } = get();
          const step = target > cursor ? Math.min(target, cursor + (eventsPerNs > 0 ? Math.max(1000, Math.floor(MAX_DELTA_EVENTS / eventsPerNs)) : FIRST_PIECE_NS)) : target;
          const before = get().snapshot?.events ?? 0;
          const adv = target >= cursor ? await client.runUntil(step, data.have()) : await client.seek(target, data.have());
          if (mine !== moveGen) continue; // a new scenario was loaded meanwhile: this answer is the old run's
          // the rate is the engine's (records it logged per ns), whether or not they were mirrored already
          if (target > cursor && adv.snapshot.now > cursor && adv.snapshot.events > before) eventsPerNs = (adv.snapshot.events - before) / (adv.snapshot.now - cursor);
          if (adv.delta) data.ingest(adv.delta);
          set({ cursor: adv.snapshot.now, snapshot: adv.snapshot, dataVersion: data.version });
          if (step < target && pendingTarget === null) pendingTarget = target;
        }
      } finally {
        busy = false;
        const done = idleWaiters;
        idleWaiters = [];
        for (const r of done) r();
      }
      scheduleReport();
    }

    function scheduleReport() {
      reportTimer++;
      const mine = reportTimer;
      void client.report().then((report) => {
        if (mine === reportTimer) set({ report });
      });
    }

    return {
      presetId: DEFAULT_PRESET,
      scenarioRaw: null,
      notice: null,
      title: '',
      description: '',
      design: '',
      until: 1,
      ringCapacity: 32768,
      status: 'idle',
      errors: [],
      message: null,
      data: new TimelineData(),
      dataVersion: 0,
      cursor: 0,
      playhead: 0,
      snapshot: null,
      report: null,
      classicReport: null,
      machines: [],
      playing: false,
      speed: 1,
      view: { t0: 0, t1: 1 },
      selection: null,
      focus: -1,
      highlights: [],
      veiled: false,
      watch: null,

      async loadPreset(id) {
        const preset = presetById(id);
        if (!preset) {
          set({ notice: `unknown preset ${JSON.stringify(id)}` });
          return;
        }
        await get().loadScenario(preset.scenario, id);
      },

      async loadScenario(raw, presetId = '') {
        const mine = ++loadSeq;
        // moves under way belong to the old run
        moveGen++;
        pendingTarget = null;
        eventsPerNs = 0;
        const before = get().status;
        set({ status: 'loading', playing: false });
        try {
          const loaded = await client.load(raw);
          if (mine !== loadSeq) return { ok: false, errors: [], message: 'superseded by another load', superseded: true };
          if (!loaded.ok) {
            // the last good run stays on screen, as it was; the caller shows the errors
            set(before === 'ready' ? { status: 'ready', message: null } : { status: before === 'error' ? 'error' : 'idle', errors: loaded.errors, message: 'the scenario is invalid' });
            return { ok: false, errors: loaded.errors, message: 'the scenario is invalid' };
          }
          const data = new TimelineData();
          // the lab opens on the whole cycle: run to the end and show all of it, unless the run is
          // too large to hold at once: then it opens at the start, to be played
          const large = loaded.estimatedEvents > LARGE_RUN_EVENTS;
          const adv = await client.runUntil(large ? 0 : loaded.until, data.have());
          if (adv.delta) data.ingest(adv.delta);
          const [report, classicReport, machines] = await Promise.all([
            client.report(),
            loaded.design === 'classic' || large ? Promise.resolve(null) : client.report('classic').catch(() => null),
            get().machines.length ? Promise.resolve(get().machines) : client.machines(),
          ]);
          if (mine !== loadSeq) return { ok: false, errors: [], message: 'superseded by another load', superseded: true };
          const vcpu0 = data.entities.findIndex((e) => e.kind === 'vcpu');
          set({
            presetId,
            scenarioRaw: raw,
            title: loaded.title,
            description: loaded.description,
            design: loaded.design,
            until: loaded.until,
            ringCapacity: loaded.ringCapacity,
            message: large ? `about ${(loaded.estimatedEvents / 1e6).toFixed(1)} million events: the run starts at 0, press play` : null,
            errors: [],
            data,
            dataVersion: data.version,
            cursor: adv.snapshot.now,
            playhead: adv.snapshot.now,
            snapshot: adv.snapshot,
            report,
            classicReport,
            machines,
            view: { t0: 0, t1: loaded.until },
            selection: null,
            focus: vcpu0,
            highlights: [],
            veiled: false,
            watch: null,
            status: 'ready',
          });
          return { ok: true };
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          if (mine === loadSeq) set({ status: 'error', message });
          return { ok: false, errors: [], message };
        }
      },

      setNotice(notice) {
        set({ notice });
      },

      async seek(t) {
        const target = Math.max(0, Math.min(get().until, Math.round(t)));
        set({ playhead: target });
        await moveEngine(target);
      },

      async stepEvent() {
        get().pause();
        // the next record after the cursor in the mirror, else let the engine step
        const { data, cursor } = get();
        const i = data.upper(cursor);
        if (i < data.length) await get().seek(data.t[i]);
        else {
          const adv = await client.step(data.have());
          if (adv.delta) data.ingest(adv.delta);
          set({ cursor: adv.snapshot.now, playhead: adv.snapshot.now, snapshot: adv.snapshot, dataVersion: data.version });
          scheduleReport();
        }
      },

      phaseStop(dir) {
        const { data, cursor, until } = get();
        const times = [0, ...data.phases.map((p) => p.t), until];
        return (dir > 0 ? times.find((t) => t > cursor) : [...times].reverse().find((t) => t < cursor)) ?? null;
      },

      async jumpPhase(dir) {
        get().pause();
        const target = get().phaseStop(dir);
        if (target !== null) await get().seek(target);
      },

      play() {
        const { cursor, until } = get();
        set({ playing: true, playhead: cursor >= until ? 0 : cursor, watch: null });
        if (cursor >= until) requestMove(0);
      },
      pause() {
        if (get().playing) set({ playing: false, playhead: get().cursor, watch: null });
      },
      togglePlay() {
        if (get().playing) get().pause();
        else get().play();
      },
      setSpeed(speed) {
        set({ speed });
      },
      setView(t0, t1) {
        set({ view: { t0, t1 } });
      },
      fit() {
        set({ view: { t0: 0, t1: get().until } });
      },
      setOverlay(highlights, veiled) {
        set({ highlights, veiled });
      },
      playTo(t, wallMs) {
        const { cursor, until } = get();
        const target = Math.max(0, Math.min(until, Math.round(t)));
        if (target <= cursor) {
          void get().seek(target);
          return;
        }
        set({ playing: true, playhead: cursor, watch: { to: target, speed: (target - cursor) / (Math.max(1, wallMs) * 1e6) } });
      },
      select(selection, focus) {
        set(focus === undefined ? { selection } : { selection, focus });
      },
      wholeReport() {
        return client.report(undefined, true);
      },
      traceJson() {
        return client.trace();
      },
      tick(wallMs) {
        const s = get();
        if (!s.playing) return;
        const end = s.watch ? s.watch.to : s.until;
        const next = Math.min(end, s.playhead + wallMs * 1e6 * (s.watch ? s.watch.speed : s.speed));
        set({ playhead: next });
        if (next >= end) set({ playing: false, watch: null });
        requestMove(Math.floor(next));
      },
    };
  });
  return store;
}
