/**
 * The lesson being followed, above the timeline: where we are in the course, the step's title and
 * text, the checkpoint (choose a prediction, watch the run reach it, see the engine's answer and
 * why, then try a change that moves it), and previous/next. Keys: [ and ] step through a lesson.
 */
import { useStore } from 'zustand';
import { LESSONS } from '../../lessons/index.ts';
import { conceptById } from '../../lessons/concepts.ts';
import type { LessonSession } from './session.ts';
import { CodeText, Glossed } from './Glossed.tsx';

export function LessonPanel({ session, onConcept }: { session: LessonSession; onConcept(id: string): void }) {
  const s = useStore(session);
  const lesson = s.lesson;
  if (!lesson) return null;
  const step = lesson.steps[Math.min(s.step, lesson.steps.length - 1)];
  const w = s.words;
  const cp = step.checkpoint;
  const choices = w?.choices ?? [];
  const right = cp && w && s.phase === 'revealed' ? w.answer : -1;
  const last = s.step === lesson.steps.length - 1;
  return (
    <section className="panel lesson" aria-label={`Lesson ${lesson.order}: ${lesson.title}`} data-testid="lesson">
      <header className="lesson-head">
        <span className="lesson-course">
          Lesson {lesson.order} of {LESSONS.length}
        </span>
        <h2>{lesson.title}</h2>
        <span className="lesson-count" data-testid="lesson-step">
          step {s.step + 1} of {lesson.steps.length}
        </span>
        <button type="button" className="lesson-close" onClick={() => session.getState().close()} aria-label="Close the lesson">
          ×
        </button>
      </header>
      {s.changed && (
        <p className="lesson-changed">
          This lesson runs a changed scenario: figures and answers are this run's.{' '}
          <button type="button" className="linkish" onClick={() => void session.getState().open(lesson.id, s.step)} data-testid="lesson-own">
            Back to the lesson's own scenario
          </button>
        </p>
      )}
      {s.error && (
        <p className="lesson-error" role="alert">
          {s.error}
        </p>
      )}
      {s.loading || !w ? (
        <p className="lesson-loading">{s.error ? '' : "running the lesson's scenario…"}</p>
      ) : (
        <>
          <h3 data-testid="lesson-title">{step.title}</h3>
          <p className="lesson-text" data-testid="lesson-text">
            <Glossed text={w.text} />
          </p>
          {cp && (
            <div className={`checkpoint ${s.phase}`} data-testid="checkpoint">
              <p className="cp-q">
                <strong>Predict, then watch. </strong>
                <Glossed text={w.question ?? ''} />
              </p>
              <div role="radiogroup" aria-label="Your prediction" className="cp-choices">
                {choices.map((c, i) => (
                  <label key={c} className={`cp-choice${i === right ? ' right' : ''}${s.phase === 'revealed' && i === s.chosen && i !== right ? ' wrong' : ''}`}>
                    <input type="radio" name="prediction" checked={s.chosen === i} disabled={s.phase !== 'predict'} onChange={() => session.getState().choose(i)} />
                    <CodeText text={c} />
                  </label>
                ))}
              </div>
              {s.phase === 'predict' && (
                <button type="button" className="cp-watch" onClick={() => void session.getState().watch()} disabled={s.chosen === null} data-testid="watch">
                  Watch the run
                </button>
              )}
              {s.phase === 'watching' && <p className="cp-status">watching the run…</p>}
              {s.phase === 'revealed' && (
                <div className="cp-result" role="status" data-testid="cp-result">
                  <p className={s.chosen === right ? 'ok' : s.chosen === null ? '' : 'no'}>
                    <CodeText text={s.chosen === null ? `The run says: ${choices[right]}.` : s.chosen === right ? `Right: ${choices[right]}.` : `Not this time: you said ${choices[s.chosen]}; the run says ${choices[right]}.`} />
                  </p>
                  <p>
                    <Glossed text={w.explain ?? ''} />
                  </p>
                  <button type="button" onClick={() => void session.getState().tryIt()} data-testid="try-it">
                    Try it: <CodeText text={cp.tryIt.says} />
                  </button>
                </div>
              )}
            </div>
          )}
        </>
      )}
      <nav className="lesson-nav" aria-label="Lesson steps">
        <button type="button" onClick={() => void session.getState().prev()} disabled={s.step === 0 || s.loading} data-testid="lesson-prev">
          ◀ Previous
        </button>
        <ol className="lesson-dots">
          {lesson.steps.map((st, i) => (
            <li key={i}>
              <button type="button" aria-label={`Step ${i + 1}: ${st.title}`} aria-current={i === s.step ? 'step' : undefined} onClick={() => void session.getState().go(i)} disabled={s.loading}>
                {i + 1}
              </button>
            </li>
          ))}
        </ol>
        {last ? (
          <span className="lesson-done" data-testid="lesson-done">
            {s.progress[lesson.id]?.done && (!cp || s.phase === 'revealed') ? 'Lesson complete.' : ''}
            {lesson.order < LESSONS.length && (
              <button type="button" onClick={() => void session.getState().open(LESSONS[lesson.order].id)} data-testid="lesson-next-lesson">
                Next lesson ▶
              </button>
            )}
          </span>
        ) : (
          <button type="button" onClick={() => void session.getState().next()} disabled={s.loading || (!!cp && s.phase !== 'revealed')} data-testid="lesson-next">
            Next ▶
          </button>
        )}
      </nav>
      <p className="lesson-concepts">
        Concepts:{' '}
        {lesson.concepts.map((id) => (
          <button type="button" key={id} className="linkish" onClick={() => onConcept(id)}>
            {conceptById(id)?.title ?? id}
          </button>
        ))}
      </p>
    </section>
  );
}

/** The course: every lesson with its goal and the reader's progress. */
export function CourseList({ session, onClose }: { session: LessonSession; onClose(): void }) {
  const progress = useStore(session, (s) => s.progress);
  return (
    <section className="panel course" aria-label="Lessons" data-testid="course">
      <header className="lesson-head">
        <h2>Lessons</h2>
        <button type="button" className="lesson-close" onClick={onClose} aria-label="Close the lessons list">
          ×
        </button>
      </header>
      <ol className="course-list">
        {LESSONS.map((l) => {
          const p = progress[l.id];
          const answered = p ? Object.values(p.answers) : [];
          return (
            <li key={l.id}>
              <button
                type="button"
                onClick={() => {
                  onClose();
                  void session.getState().open(l.id, p && !p.done ? p.reached : 0);
                }}
                data-testid={`open-lesson-${l.id}`}
              >
                <strong>
                  {l.order}. {l.title}
                </strong>
              </button>
              <span className="course-goal">
                <Glossed text={l.goal} />
              </span>
              <span className="course-progress" data-testid={`progress-${l.id}`}>
                {p ? (p.done ? `done${answered.length ? ` · ${answered.filter((a) => a.correct).length}/${answered.length} predicted right` : ''}` : `at step ${p.reached + 1} of ${l.steps.length}`) : 'not started'}
              </span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
