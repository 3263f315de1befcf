/**
 * The scenario editor: Monaco on the scenario JSON, checked against the lab's own schema (markers,
 * completion, hover with each field's meaning, default and source). Apply (Ctrl/⌘+Enter) re-runs a
 * valid scenario; an invalid one gets markers on the values the validator names and the last good
 * run stays on screen. Every change is saved as a draft in the browser, so nothing typed is lost.
 */
import { useEffect, useRef, useState } from 'react';
import { useStore } from 'zustand';
import { locateJsonPath } from '../../base/jsonpath.ts';
import { jsonErrorAt } from '../../base/jsonpos.ts';
import { PRESETS, presetById } from '../../model/presets.ts';
import { SCENARIO_SCHEMA } from '../../model/scenario.ts';
import { toJsonSchema } from '../../model/schema.ts';
import type { LabStore } from '../../store/lab.ts';
import { loadDraft, saveDraft } from './drafts.ts';
import { json, monaco } from './monacoSetup.ts';

const MODEL_URI = 'inmemory://caretaker-lab/scenario.json';
const OWNER = 'caretaker-lab';

interface Problem {
  line: number;
  column: number;
  message: string;
  source: 'json' | 'lab';
}

const pretty = (raw: unknown) => `${JSON.stringify(raw, null, 2)}\n`;
const storage = (): Storage | null => {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
};

export default function ScenarioEditor({ store }: { store: LabStore }) {
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [saved, setSaved] = useState<string>('');
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [startFrom, setStartFrom] = useState(PRESETS[0].id);
  const status = useStore(store, (s) => s.status);

  useEffect(() => {
    const uri = monaco.Uri.parse(MODEL_URI);
    json.jsonDefaults.setDiagnosticsOptions({
      validate: true,
      allowComments: false,
      enableSchemaRequest: false,
      schemaValidation: 'error',
      schemas: [{ uri: 'inmemory://caretaker-lab/scenario.schema.json', fileMatch: [uri.toString()], schema: toJsonSchema(SCENARIO_SCHEMA) }],
    });
    const draft = loadDraft(storage());
    const initial = draft?.text ?? pretty(store.getState().scenarioRaw);
    if (draft) setSaved(`draft from ${new Date(draft.savedAt).toLocaleTimeString()} restored`);
    const model = monaco.editor.getModel(uri) ?? monaco.editor.createModel(initial, 'json', uri);
    model.setValue(initial);
    const editor = monaco.editor.create(host.current!, {
      model,
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 13,
      scrollBeyondLastLine: false,
      tabSize: 2,
      ariaLabel: 'Scenario JSON',
    });
    editorRef.current = editor;
    const refresh = () => {
      const markers = monaco.editor.getModelMarkers({ resource: uri });
      setProblems(
        markers
          .filter((m) => m.severity >= monaco.MarkerSeverity.Warning)
          .map((m): Problem => ({ line: m.startLineNumber, column: m.startColumn, message: m.message, source: m.owner === OWNER ? 'lab' : 'json' }))
          .sort((a, b) => a.line - b.line || a.column - b.column),
      );
    };
    const markersSub = monaco.editor.onDidChangeMarkers((uris) => {
      if (uris.some((u) => u.toString() === uri.toString())) refresh();
    });
    let saveTimer = 0;
    const changeSub = model.onDidChangeContent(() => {
      // the lab's own markers describe the text that was applied: clear them once it changes
      monaco.editor.setModelMarkers(model, OWNER, []);
      window.clearTimeout(saveTimer);
      saveTimer = window.setTimeout(() => {
        const ok = saveDraft(storage(), model.getValue(), Date.now());
        setSaved(ok ? `draft saved ${new Date().toLocaleTimeString()}` : 'the browser refuses to store the draft: copy your text before leaving');
      }, 250);
    });
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, () => void apply());
    return () => {
      window.clearTimeout(saveTimer);
      // a pending save happens now, not never
      saveDraft(storage(), model.getValue(), Date.now());
      markersSub.dispose();
      changeSub.dispose();
      editor.dispose();
      model.dispose();
      editorRef.current = null;
    };
    // the editor is created once; apply() reads the store when it runs
  }, []);

  async function apply() {
    const editor = editorRef.current;
    const model = editor?.getModel();
    if (!editor || !model) return;
    const text = model.getValue();
    const bad = jsonErrorAt(text);
    if (bad) {
      const pos = model.getPositionAt(bad.offset);
      monaco.editor.setModelMarkers(model, OWNER, [{ severity: monaco.MarkerSeverity.Error, message: `not JSON: ${bad.message}`, startLineNumber: pos.lineNumber, startColumn: pos.column, endLineNumber: pos.lineNumber, endColumn: pos.column + 1 }]);
      setResult({ ok: false, text: `not applied: the text is not JSON (line ${bad.line}, column ${bad.column}: ${bad.message}); the last good run stays` });
      return;
    }
    const raw = JSON.parse(text) as unknown;
    setResult({ ok: true, text: 'running…' });
    const r = await store.getState().loadScenario(raw);
    if (r.ok) {
      monaco.editor.setModelMarkers(model, OWNER, []);
      setResult({ ok: true, text: 'applied: the timeline shows this scenario' });
      return;
    }
    monaco.editor.setModelMarkers(
      model,
      OWNER,
      r.errors.map((e) => {
        const range = locateJsonPath(text, e.path) ?? { start: 0, end: 1 };
        const a = model.getPositionAt(range.start);
        const b = model.getPositionAt(Math.max(range.start + 1, range.end));
        return { severity: monaco.MarkerSeverity.Error, message: `${e.path}: ${e.message}`, startLineNumber: a.lineNumber, startColumn: a.column, endLineNumber: b.lineNumber, endColumn: b.column };
      }),
    );
    setResult({ ok: false, text: `not applied: ${r.errors.length || 1} error${r.errors.length > 1 ? 's' : ''} (${r.errors[0] ? `${r.errors[0].path}: ${r.errors[0].message}` : r.message}); the last good run stays on screen` });
  }

  /** Replaces the text as one edit, so Ctrl/⌘+Z brings the previous text back. */
  function replaceText(text: string) {
    const editor = editorRef.current;
    const model = editor?.getModel();
    if (!editor || !model) return;
    editor.pushUndoStop();
    editor.executeEdits('caretaker-lab', [{ range: model.getFullModelRange(), text }]);
    editor.pushUndoStop();
  }

  function reveal(p: Problem) {
    const editor = editorRef.current;
    if (!editor) return;
    editor.revealLineInCenter(p.line);
    editor.setPosition({ lineNumber: p.line, column: p.column });
    editor.focus();
  }

  return (
    <section className="panel editor" aria-label="Scenario editor" data-testid="editor">
      <div className="editor-bar">
        <button type="button" onClick={() => void apply()} disabled={status === 'loading'} data-testid="editor-apply" title="Run this scenario (Ctrl/⌘+Enter)">
          Apply
        </button>
        <label>
          start from{' '}
          <select value={startFrom} onChange={(e) => setStartFrom(e.target.value)} aria-label="Preset to start from" data-testid="editor-preset">
            {PRESETS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.id}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => replaceText(pretty(presetById(startFrom)!.scenario))} data-testid="editor-start-from">
          Use this preset
        </button>
        <button type="button" onClick={() => replaceText(pretty(store.getState().scenarioRaw))} title="The scenario the timeline shows">
          Revert to the running scenario
        </button>
        <span className="editor-saved" data-testid="editor-saved">
          {saved}
        </span>
      </div>
      <div ref={host} className="editor-host" data-testid="monaco-host" />
      {result && (
        <p className={`editor-result ${result.ok ? 'ok' : 'bad'}`} role="status" data-testid="editor-result">
          {result.text}
        </p>
      )}
      <ul className="editor-problems" data-testid="editor-problems" aria-label="Problems">
        {problems.map((p, i) => (
          <li key={i}>
            <button type="button" onClick={() => reveal(p)}>
              line {p.line}
            </button>{' '}
            {p.message}
          </li>
        ))}
      </ul>
    </section>
  );
}
