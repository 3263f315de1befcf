/**
 * Presenter keys for the embedded lab (docs/embedding.md; anchors-ui.md §6): Right, PageDown and
 * Space go to the next step (the run's next phase, or the lesson's next step), Left and PageUp back,
 * Home/End to the start and end, `.` or `b` pause, `f` full screen. A key the lab does not use —
 * and a next/previous with no step left — goes to the parent page in reveal.js's postMessage
 * format (`triggerKey`), so a clicker keeps driving the deck while the lab has the focus.
 */
import type { LabStore } from '../../store/lab.ts';
import { phaseStepper, type Stepper } from '../stepper.ts';

export type Forward = (ev: KeyboardEvent) => void;

/** Sends a key to the parent deck as reveal.js's postMessage API expects; only to `origin`. */
export function revealForwarder(target: Pick<Window, 'postMessage'> | null, origin: string | null): Forward {
  return (ev) => {
    if (!target || !origin) return;
    target.postMessage(JSON.stringify({ method: 'triggerKey', args: [ev.keyCode] }), origin);
  };
}

export function installPresenterKeys(store: LabStore, forward: Forward, doc: Document = document, stepper: Stepper = phaseStepper(store)): () => void {
  const onKey = (ev: KeyboardEvent) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return forward(ev);
    const el = ev.target as HTMLElement | null;
    if (el && (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA')) return;
    const s = store.getState();
    if (s.status !== 'ready') return;
    const step = (dir: 1 | -1) => {
      if (!stepper.can(dir)) return forward(ev); // no step left: the deck moves on
      void stepper.step(dir);
    };
    switch (ev.code) {
      case 'ArrowRight':
      case 'PageDown':
      case 'Space':
        step(1);
        break;
      case 'ArrowLeft':
      case 'PageUp':
        step(-1);
        break;
      case 'Home':
        void s.seek(0);
        break;
      case 'End':
        void s.seek(s.until);
        break;
      case 'Period':
      case 'KeyB':
        s.togglePlay();
        break;
      case 'KeyF':
        if (doc.fullscreenElement) void doc.exitFullscreen?.();
        else void doc.documentElement.requestFullscreen?.().catch(() => undefined);
        break;
      default:
        forward(ev);
        return;
    }
    ev.preventDefault();
  };
  doc.addEventListener('keydown', onKey);
  return () => doc.removeEventListener('keydown', onKey);
}
