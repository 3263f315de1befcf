/**
 * Monaco, bundled with the lab (no CDN): the slim editor core, its common features and the JSON
 * language, with both workers built by Vite. Loaded only when the editor opens (toolchain.md).
 */
import * as monaco from 'monaco-editor/editor';
import 'monaco-editor/features/register.all';
import * as json from 'monaco-editor/languages/features/json/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import JsonWorker from 'monaco-editor/language/json/json.worker?worker';

self.MonacoEnvironment = {
  getWorker(_id: string, label: string) {
    return label === 'json' ? new JsonWorker() : new EditorWorker();
  },
};

export { json, monaco };
