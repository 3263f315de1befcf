/**
 * The lab embedded in a slide (`?embed=1`): the timeline with compact controls and a caption that
 * names the scenario and the step the cursor is in, and a link to open the full lab at the same
 * run and moment. Presenter keys drive it; other keys go to the deck (presenter.ts).
 */
import { useStore } from 'zustand';
import { formatInstant } from '../../base/time.ts';
import type { LabStore } from '../../store/lab.ts';
import { Timeline } from '../timeline/Timeline.tsx';
import { shareUrl } from '../url.ts';
import type { LessonSession } from '../lessons/session.ts';
import { CodeText, Glossed } from '../lessons/Glossed.tsx';
import { lessonStepper } from '../stepper.ts';
import { PanelBoundary } from '../PanelBoundary.tsx';

/** The phase the cursor is in, as the caption names it. */
function phaseAt(store: LabStore): string {
  const { data, cursor } = store.getState();
  let name = 'before the update';
  for (const p of data.phases) if (p.t <= cursor) name = `after ${p.name}`;
  return name;
}

/** A lesson as a talk: the step's title and text, and a checkpoint's question, then its answer. */
function LessonCaption({ session }: { session: LessonSession }) {
  const s = useStore(session);
  const lesson = s.lesson;
  const w = s.words;
  if (!lesson || !s.run || !w) return null;
  const step = lesson.steps[Math.min(s.step, lesson.steps.length - 1)];
  const cp = step.checkpoint;
  const choices = w.choices;
  return (
    <section className="embed-lesson" data-testid="embed-lesson" aria-live="polite">
      <p className="embed-lesson-head">
        Lesson {lesson.order}: {lesson.title} · step {s.step + 1} of {lesson.steps.length}
      </p>
      <h2>{step.title}</h2>
      <p>
        <Glossed text={w.text} />
      </p>
      {cp && (
        <p className="embed-cp" data-testid="embed-cp">
          <strong>Predict: </strong>
          <Glossed text={w.question ?? ''} /> (<CodeText text={choices.join(' · ')} />)
          {s.phase === 'revealed' && (
            <>
              {' '}
              <strong data-testid="embed-answer">→ {choices[w.answer].replace(/`/g, '')}.</strong> <Glossed text={w.explain ?? ''} />
            </>
          )}
        </p>
      )}
    </section>
  );
}

export function EmbedApp({ store, session }: { store: LabStore; session: LessonSession }) {
  const title = useStore(store, (s) => s.title);
  const cursor = useStore(store, (s) => s.cursor);
  const playing = useStore(store, (s) => s.playing);
  const ready = useStore(store, (s) => s.status === 'ready');
  const notice = useStore(store, (s) => s.notice);
  useStore(store, (s) => s.dataVersion);
  const st = store.getState();
  const inLesson = useStore(session, (s) => s.lessonId !== null);
  const stepper = lessonStepper(session, store);
  const step = (dir: 1 | -1) => void stepper.step(dir);
  const fullLab = () => {
    const s = store.getState();
    const l = session.getState();
    return shareUrl(`${location.origin}${location.pathname}`, s.scenarioRaw, { cursor: s.cursor, view: s.view, hash: null, lesson: l.lessonId ? { id: l.lessonId, step: l.step, own: !l.changed } : null });
  };
  return (
    // a click anywhere in the embed gives it the keys (the timeline's drag handling would not)
    <div className="embed" onPointerDown={() => window.focus()}>
      <header className="embed-caption">
        <strong data-testid="title">{title}</strong>
        <span className="embed-step" data-testid="embed-step">
          {phaseAt(store)} · {formatInstant(cursor)} s
        </span>
        <a href={ready ? fullLab() : undefined} target="_blank" rel="noopener" className="embed-open" data-testid="embed-open">
          open the full lab ↗
        </a>
      </header>
      {notice && (
        <p className="notice" role="alert" data-testid="notice">
          {notice}
        </p>
      )}
      <PanelBoundary name="lessons" label="the lesson">
        {inLesson && <LessonCaption session={session} />}
      </PanelBoundary>
      <PanelBoundary name="timeline" label="the timeline">
        <Timeline store={store} />
      </PanelBoundary>
      <div className="embed-controls" role="toolbar" aria-label="Presenter controls">
        <button type="button" onClick={() => step(-1)} disabled={!ready} aria-label="Previous step">
          ◀
        </button>
        <button type="button" onClick={() => st.togglePlay()} disabled={!ready} aria-label={playing ? 'Pause' : 'Play'}>
          {playing ? '❚❚' : '▶'}
        </button>
        <button type="button" onClick={() => step(1)} disabled={!ready} aria-label="Next step">
          ▶▶
        </button>
        <span className="hint">→ / PageDown next step · ← / PageUp previous · f full screen</span>
      </div>
    </div>
  );
}
