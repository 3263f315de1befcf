/**
 * The lab's commands by postMessage (design.md §5): a parent page sends
 * `{ caretakerLab: 'ready' | 'seek' | 'step' | 'report' | 'next' | 'prev', args?, id? }` (an object
 * or its JSON) and gets `{ caretakerLab: 'reply', id, ok, result | error }` back. Only the embedding
 * page's origin is heard; anything else is ignored.
 */
import { phaseStepper, type Stepper } from '../stepper.ts';
import type { CaretakerLabApi } from '../automation.ts';
import type { LabStore } from '../../store/lab.ts';

export interface LabCommand {
  caretakerLab: string;
  args?: unknown[];
  id?: unknown;
}

/** The origin of the page embedding this one, or null when it is not embedded (or unknown). */
export function embeddingOrigin(win: Window): string | null {
  if (win.parent === win) return null;
  const ancestors = win.location.ancestorOrigins;
  if (ancestors && ancestors.length) return ancestors[0] === 'null' ? null : ancestors[0];
  try {
    return win.document.referrer ? new URL(win.document.referrer).origin : null;
  } catch {
    return null;
  }
}

/** A message as a command, if it is one from the allowed origin; null otherwise. */
export function readCommand(data: unknown, origin: string, allowed: string | null): LabCommand | null {
  if (!allowed || origin !== allowed) return null;
  let d = data;
  if (typeof d === 'string') {
    if (d.length > 10_000) return null;
    try {
      d = JSON.parse(d);
    } catch {
      return null;
    }
  }
  if (!d || typeof d !== 'object' || typeof (d as LabCommand).caretakerLab !== 'string') return null;
  const c = d as LabCommand;
  if (c.args !== undefined && !Array.isArray(c.args)) return null;
  return c;
}

export async function runCommand(c: LabCommand, api: CaretakerLabApi, store: LabStore, stepper: Stepper = phaseStepper(store)): Promise<unknown> {
  const num = (i: number) => {
    const v = c.args?.[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${c.caretakerLab}: argument ${i + 1} must be a number`);
    return v;
  };
  switch (c.caretakerLab) {
    case 'ready':
      return api.ready();
    case 'seek':
      return api.seek(num(0));
    case 'step':
      return api.step(c.args?.length ? num(0) : 1);
    case 'report':
      return api.report();
    case 'next':
    case 'prev': {
      const dir = c.caretakerLab === 'next' ? 1 : -1;
      await api.ready();
      const moved = stepper.can(dir);
      if (moved) await stepper.step(dir);
      return { cursor: store.getState().cursor, moved };
    }
    default:
      throw new Error(`unknown command ${JSON.stringify(c.caretakerLab)}; expected ready, seek, step, report, next or prev`);
  }
}

export function installMessages(win: Window, api: CaretakerLabApi, store: LabStore, stepper: Stepper = phaseStepper(store)): () => void {
  const allowed = embeddingOrigin(win);
  const onMessage = (ev: MessageEvent) => {
    if (ev.source !== win.parent) return;
    const c = readCommand(ev.data, ev.origin, allowed);
    if (!c) return;
    const reply = (body: Record<string, unknown>) => (ev.source as Window).postMessage({ caretakerLab: 'reply', id: c.id ?? null, ...body }, ev.origin);
    runCommand(c, api, store, stepper).then(
      (result) => reply({ ok: true, result: result === undefined ? null : result }),
      (e: unknown) => reply({ ok: false, error: e instanceof Error ? e.message : String(e) }),
    );
  };
  win.addEventListener('message', onMessage);
  return () => win.removeEventListener('message', onMessage);
}
