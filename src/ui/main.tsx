/** Browser entry: starts the engine Worker, the store, keys and playback, and renders the lab. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { workerClient } from '../sim/client.ts';
import { createLabStore } from '../store/lab.ts';
import { App } from './App.tsx';
import { installAutomation } from './automation.ts';
import { installKeys, installPlayer } from './keyboard.ts';
import { openFromUrl } from './boot.ts';
import './styles.css';

const worker = new Worker(new URL('../sim/worker.ts', import.meta.url), { type: 'module' });
const client = workerClient(worker);
const store = createLabStore(client);
installAutomation(store);
installKeys(store);
installPlayer(store);
void openFromUrl(store, location.search, location.hash);
window.addEventListener('hashchange', () => void openFromUrl(store, location.search, location.hash));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App store={store} />
  </StrictMode>,
);
