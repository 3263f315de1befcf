/**
 * The concept pages in the lab (the same text as docs/concepts/): an index, and one concept with
 * its explanation, its sources and the lessons that show it, each a button that opens the lesson.
 */
import { CONCEPT_LIST, conceptById } from '../../lessons/concepts.ts';
import { lessonById } from '../../lessons/index.ts';
import { Glossed } from './Glossed.tsx';

export function ConceptsView({ id, onPick, onLesson, onClose }: { id: string | null; onPick(id: string | null): void; onLesson(id: string): void; onClose(): void }) {
  const c = id ? conceptById(id) : undefined;
  return (
    <section className="panel concepts" aria-label="Concepts" data-testid="concepts">
      <header className="lesson-head">
        <h2>{c ? c.title : 'Concepts'}</h2>
        {c && (
          <button type="button" className="linkish" onClick={() => onPick(null)}>
            all concepts
          </button>
        )}
        <button type="button" className="lesson-close" onClick={onClose} aria-label="Close the concepts">
          ×
        </button>
      </header>
      {c ? (
        <article className="concept-page" data-testid="concept-page">
          <p className="concept-lead">
            <Glossed text={c.summary} />
          </p>
          {c.body.map((p, i) => (
            <p key={i}>
              <Glossed text={p} />
            </p>
          ))}
          <h3>Sources</h3>
          <ul>
            {c.sources.map((s) => (
              <li key={s.ref}>
                <cite>{s.ref}</cite>: {s.what}
              </li>
            ))}
          </ul>
          <h3>See it in the lab</h3>
          <ul>
            {c.lessons.map((l) => {
              const lesson = lessonById(l);
              return (
                <li key={l}>
                  <button type="button" onClick={() => onLesson(l)} data-testid={`concept-lesson-${l}`}>
                    Lesson {lesson?.order}: {lesson?.title ?? l}
                  </button>
                </li>
              );
            })}
          </ul>
        </article>
      ) : (
        <ul className="concept-index">
          {CONCEPT_LIST.map((x) => (
            <li key={x.id}>
              <button type="button" className="linkish" onClick={() => onPick(x.id)} data-testid={`concept-${x.id}`}>
                {x.title}
              </button>{' '}
              <span className="course-goal">{x.summary.split(/(?<=\.)\s/)[0]}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
