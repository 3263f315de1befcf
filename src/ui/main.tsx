/** Browser entry: starts the engine Worker, the store, keys and playback, and renders the lab. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { workerClient } from '../sim/client.ts';
import { createLabStore } from '../store/lab.ts';
import { App } from './App.tsx';
import { installAutomation } from './automation.ts';
import { installKeys, installPlayer } from './keyboard.ts';
import { presetFromHash } from './url.ts';
import './styles.css';

const worker = new Worker(new URL('../sim/worker.ts', import.meta.url), { type: 'module' });
const client = workerClient(worker);
const store = createLabStore(client);
installAutomation(store);
installKeys(store);
installPlayer(store);
void store.getState().loadPreset(presetFromHash(location.hash) ?? store.getState().presetId);
window.addEventListener('hashchange', () => {
  const id = presetFromHash(location.hash);
  if (id && id !== store.getState().presetId) void store.getState().loadPreset(id);
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App store={store} />
  </StrictMode>,
);
