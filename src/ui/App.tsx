/**
 * The lab: a preset picker, the lessons and concepts, Share and the scenario editor (loaded on
 * demand), the scenario's description and notices, the lesson being followed, the transport, the
 * timeline, and the details, state machine and metrics panels, with the event list and the keys.
 */
import { lazy, Suspense, useState } from 'react';
import { useStore } from 'zustand';
import { PRESETS } from '../model/presets.ts';
import { DESIGNS, type DesignId } from '../model/scenario.ts';

/** The preset menu groups scenarios by the design that runs them (every design has a label). */
const DESIGN_LABEL: Record<DesignId, string> = {
  converged: "The thread's Caretaker (converged)",
  rfcv1: 'The prototype as built (rfcv1)',
  classic: 'Live update today (classic)',
  'design-v2': "The prototype's DESIGN_V2 (design-v2)",
  'rfc-v0': 'The original RFC (rfc-v0)',
  'async-run': 'A VMM upgrade without kexec (async-run)',
};
const DESIGN_GROUPS = DESIGNS.map((d) => [d, DESIGN_LABEL[d]] as const).sort((a, b) => (a[0] === 'converged' ? -1 : b[0] === 'converged' ? 1 : 0));
import type { LabStore } from '../store/lab.ts';
import { KEYS } from './keyboard.ts';
import { Details } from './panels/Details.tsx';
import { EventList } from './panels/EventList.tsx';
import { Metrics } from './panels/Metrics.tsx';
import { StatePanel } from './panels/StatePanel.tsx';
import { Overview } from './timeline/Overview.tsx';
import { Timeline } from './timeline/Timeline.tsx';
import { Transport } from './Transport.tsx';
import { Share } from './Share.tsx';
import { Export } from './export/Export.tsx';
import { DISP_ROWS, IPI_COLORS } from './timeline/palette.ts';
import type { LessonSession } from './lessons/session.ts';
import { Glossed } from './lessons/Glossed.tsx';
import { PanelBoundary } from './PanelBoundary.tsx';

/** Monaco is a large chunk: fetched only when the editor first opens. */
const ScenarioEditor = lazy(() => import('./editor/ScenarioEditor.tsx'));
/** The course and the concept pages are a chunk of their own, fetched when first shown. */
const LessonPanel = lazy(() => import('./lessons/LessonPanel.tsx').then((m) => ({ default: m.LessonPanel })));
const CourseList = lazy(() => import('./lessons/LessonPanel.tsx').then((m) => ({ default: m.CourseList })));
const ConceptsView = lazy(() => import('./lessons/ConceptsView.tsx').then((m) => ({ default: m.ConceptsView })));
const loadingPanel = <p className="panel">loading…</p>;

export function App({ store, session }: { store: LabStore; session: LessonSession }) {
  const [editing, setEditing] = useState(false);
  const [course, setCourse] = useState(false);
  const [concept, setConcept] = useState<{ id: string | null } | null>(null);
  const lessonId = useStore(session, (s) => s.lessonId);
  const lessonPlace = () => {
    const l = session.getState();
    return l.lessonId && l.run ? { id: l.lessonId, step: l.step, own: !l.changed } : null;
  };
  const presetId = useStore(store, (s) => s.presetId);
  const status = useStore(store, (s) => s.status);
  const title = useStore(store, (s) => s.title);
  const description = useStore(store, (s) => s.description);
  const message = useStore(store, (s) => s.message);
  const errors = useStore(store, (s) => s.errors);
  const notice = useStore(store, (s) => s.notice);
  return (
    <div className="page">
      <header className="top">
        <div className="brand">
          <h1>Caretaker Lab</h1>
          <p className="tagline">KVM live update with vCPUs that keep running through the kexec gap</p>
        </div>
        <label className="preset">
          Scenario{' '}
          <select value={presetId} onChange={(e) => void store.getState().loadPreset(e.target.value)} aria-label="Preset scenario" data-testid="preset">
            {presetId === '' && <option value="">{lessonId ? "the lesson's scenario" : 'a scenario from a link or the editor'}</option>}
            {DESIGN_GROUPS.map(([design, label]) => (
              <optgroup key={design} label={label}>
                {PRESETS.filter((p) => (p.scenario.design ?? 'converged') === design).map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.id} — {p.summary}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </label>
        <div className="header-actions">
          <button type="button" onClick={() => setCourse((x) => !x)} aria-pressed={course} data-testid="lessons">
            Lessons
          </button>
          <button type="button" onClick={() => setConcept((x) => (x ? null : { id: null }))} aria-pressed={concept !== null} data-testid="concepts-button">
            Concepts
          </button>
          <button type="button" onClick={() => setEditing((x) => !x)} aria-pressed={editing} data-testid="edit">
            {editing ? 'Close the editor' : 'Edit scenario'}
          </button>
          <Share store={store} lesson={lessonPlace} />
          <Export store={store} />
        </div>
      </header>
      {notice && (
        <div className="notice" role="alert" data-testid="notice">
          <span>{notice}</span>
          <button type="button" onClick={() => store.getState().setNotice(null)} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
      <div className="scenario">
        <h2 data-testid="title">{title || presetId}</h2>
        {/* in a lesson the description would give its checkpoints away: the lesson tells the story */}
        {!lessonId && (
          <p className="description">
            <Glossed text={description} />
          </p>
        )}
        <p role="status" data-testid="status" className={`status ${status}`}>
          {status === 'loading' ? 'running the scenario…' : status === 'error' ? `error: ${message ?? 'invalid scenario'}` : (message ?? '')}
        </p>
        {errors.length > 0 && (
          <ul className="errors">
            {errors.map((e, i) => (
              <li key={i}>
                <code>{e.path}</code>: {e.message}
              </li>
            ))}
          </ul>
        )}
      </div>
      <Suspense fallback={loadingPanel}>
      {course && (
        <PanelBoundary name="course" label="the list of lessons">
          <CourseList session={session} onClose={() => setCourse(false)} />
        </PanelBoundary>
      )}
      {concept && (
        <PanelBoundary name="concepts" label="the concepts">
        <ConceptsView
          id={concept.id}
          onPick={(id) => setConcept({ id })}
          onClose={() => setConcept(null)}
          onLesson={(id) => {
            setConcept(null);
            void session.getState().open(id);
          }}
        />
        </PanelBoundary>
      )}
      {lessonId && (
        <PanelBoundary name="lessons" label="the lesson" key={lessonId}>
          <LessonPanel session={session} onConcept={(id) => setConcept({ id })} />
        </PanelBoundary>
      )}
      </Suspense>
      {editing && (
        <PanelBoundary name="editor" label="the scenario editor">
          <Suspense fallback={<p className="panel">loading the editor…</p>}>
            <ScenarioEditor store={store} />
          </Suspense>
        </PanelBoundary>
      )}
      <PanelBoundary name="transport" label="the transport">
        <Transport store={store} />
      </PanelBoundary>
      <Legend />
      <PanelBoundary name="overview" label="the overview strip">
        <Overview store={store} />
      </PanelBoundary>
      <PanelBoundary name="timeline" label="the timeline">
        <Timeline store={store} />
      </PanelBoundary>
      <div className="panels">
        <PanelBoundary name="details" label="the details panel">
          <Details store={store} onConcept={(id) => setConcept({ id })} />
        </PanelBoundary>
        <PanelBoundary name="state" label="the state machine panel">
          <StatePanel store={store} />
        </PanelBoundary>
        <PanelBoundary name="metrics" label="the metrics panel">
          <Metrics store={store} />
        </PanelBoundary>
      </div>
      <PanelBoundary name="events" label="the event list">
        <EventList store={store} />
      </PanelBoundary>
      <details className="panel keys">
        <summary>Keys</summary>
        <dl className="kv">
          {KEYS.map(([k, v]) => (
            <div key={k}>
              <dt>
                <kbd>{k}</kbd>
              </dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      </details>
    </div>
  );
}

function Legend() {
  return (
    <div className="legend" aria-label="Legend">
      <span className="lg-title">exits:</span>
      {DISP_ROWS.map((r) => (
        <span key={r.name} className="lg">
          <i style={{ background: r.color }} /> {r.name}
        </span>
      ))}
      <span className="lg-title">IPIs:</span>
      {Object.entries(IPI_COLORS).map(([k, c]) => (
        <span key={k} className="lg">
          <i style={{ background: c }} /> {k}
        </span>
      ))}
    </div>
  );
}
