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
import { parseLabUrl } from './url.ts';
import './styles.css';

const worker = new Worker(new URL('../sim/worker.ts', import.meta.url), { type: 'module' });
const client = workerClient(worker);
const store = createLabStore(client);
const api = installAutomation(store);
const url = parseLabUrl(location.search, location.hash);
document.documentElement.dataset.theme = url.theme;
if (url.theme === 'projector') setCanvasTextScale(1.35);
if (url.embed) installPresenterKeys(store, revealForwarder(window.parent === window ? null : window.parent, embeddingOrigin(window)));
else installKeys(store);
installMessages(window, api, store);
installPlayer(store);
void openFromUrl(store, url);
window.addEventListener('hashchange', () => void openFromUrl(store, parseLabUrl(location.search, location.hash)));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    {url.embed ? <EmbedApp store={store} /> : <App store={store} />}
  </StrictMode>,
);
