/**
 * Browser entry: starts the engine Worker, the store, keys (presenter keys when embedded),
 * postMessage commands and playback, and renders the full lab or the embed view (`?embed=1`).
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { workerClient } from '../sim/client.ts';
import { createLabStore } from '../store/lab.ts';
import { App } from './App.tsx';
import { installAutomation } from './automation.ts';
import { installKeys, installPlayer } from './keyboard.ts';
import { openFromUrl } from './boot.ts';
import { EmbedApp } from './embed/EmbedApp.tsx';
import { embeddingOrigin, installMessages } from './embed/messages.ts';
import { installPresenterKeys, revealForwarder } from './embed/presenter.ts';
import { setCanvasTextScale } from './timeline/render.ts';
import { parseLabUrl, withLesson } from './url.ts';
import { createLessonSession } from './lessons/session.ts';
import { lessonStepper } from './stepper.ts';
import LZString from 'lz-string';
import './styles.css';

const worker = new Worker(new URL('../sim/worker.ts', import.meta.url), { type: 'module' });
const client = workerClient(worker);
const store = createLabStore(client);
const api = installAutomation(store);
const url = parseLabUrl(location.search, location.hash);
function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
// the address bar follows the lesson: its id and step, and its scenario only when it was changed
const session = createLessonSession(store, {
  storage: storage(),
  onPlace(lesson, step) {
    const changed = lesson !== null && session.getState().changed;
    const hash = changed ? `#s=${LZString.compressToEncodedURIComponent(JSON.stringify(store.getState().scenarioRaw))}` : lesson ? '' : location.hash;
    history.replaceState(null, '', `${location.pathname}${withLesson(location.search, lesson, step)}${hash}`);
  },
});
const stepper = lessonStepper(session, store);
document.documentElement.dataset.theme = url.theme;
if (url.theme === 'projector') setCanvasTextScale(1.35);
if (url.embed) installPresenterKeys(store, revealForwarder(window.parent === window ? null : window.parent, embeddingOrigin(window)), document, stepper);
else installKeys(store, document, stepper);
installMessages(window, api, store, stepper);
installPlayer(store);
void openFromUrl(store, url, session);
// a scenario pasted into the address bar replaces whatever is open, a lesson too
window.addEventListener('hashchange', () => {
  if (session.getState().lessonId) session.getState().close();
  history.replaceState(null, '', `${location.pathname}${withLesson(location.search, null, 0)}${location.hash}`);
  void openFromUrl(store, parseLabUrl(location.search, location.hash), session);
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    {url.embed ? <EmbedApp store={store} session={session} /> : <App store={store} session={session} />}
  </StrictMode>,
);
