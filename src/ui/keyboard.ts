/**
 * Global keys, bound by KeyboardEvent.code (layout-independent): Space play/pause, Period next
 * event, BracketLeft/Right previous/next phase, Home/End, F fit, Minus/Equal slower/faster.
 * Ignored while typing in a field.
 */
import { SPEEDS, type LabStore } from '../store/lab.ts';
import { phaseStepper, type Stepper } from './stepper.ts';

export const KEYS: [string, string][] = [
  ['Space', 'play / pause'],
  ['.', 'step to the next event'],
  ['[ and ]', 'previous / next phase (in a lesson: previous / next step)'],
  ['Home / End', 'start / end of the run'],
  ['- and =', 'slower / faster'],
  ['F', 'zoom to fit'],
  ['W / S or ↑ / ↓', 'zoom in / out (timeline focused)'],
  ['A / D or ← / →', 'pan (timeline focused)'],
];

export function installKeys(store: LabStore, target: Document = document, stepper: Stepper = phaseStepper(store)): () => void {
  const onKey = (ev: KeyboardEvent) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const el = ev.target as HTMLElement | null;
    const tag = el?.tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || el?.isContentEditable) return;
    const s = store.getState();
    if (s.status !== 'ready') return;
    switch (ev.code) {
      case 'Space':
        if (tag === 'BUTTON') return; // Space presses the focused button
        s.togglePlay();
        break;
      case 'Period':
        void s.stepEvent();
        break;
      case 'BracketRight':
        if (stepper.can(1)) void stepper.step(1);
        break;
      case 'BracketLeft':
        if (stepper.can(-1)) void stepper.step(-1);
        break;
      case 'Home':
        void s.seek(0);
        break;
      case 'End':
        void s.seek(s.until);
        break;
      case 'KeyF':
        s.fit();
        break;
      case 'Minus':
      case 'Equal': {
        const i = SPEEDS.indexOf(s.speed as (typeof SPEEDS)[number]);
        const j = ev.code === 'Minus' ? Math.min(SPEEDS.length - 1, i + 1) : Math.max(0, i - 1);
        s.setSpeed(SPEEDS[j]);
        break;
      }
      default:
        return;
    }
    ev.preventDefault();
  };
  target.addEventListener('keydown', onKey);
  return () => target.removeEventListener('keydown', onKey);
}

/** Drives playback: advances the playhead by wall time every animation frame while playing. */
export function installPlayer(store: LabStore): () => void {
  let last = 0;
  let id = 0;
  const frame = (now: number) => {
    const s = store.getState();
    if (s.playing && last) s.tick(now - last);
    last = now;
    id = requestAnimationFrame(frame);
  };
  id = requestAnimationFrame(frame);
  return () => cancelAnimationFrame(id);
}
