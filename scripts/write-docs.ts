// Writes the generated reference docs (docs/timing.md, docs/exits.md) from the definitions in
// src/model, so defaults and sources in the docs can never drift from the engine's.
import { writeFileSync } from 'node:fs';
import { renderExitsDoc, renderTimingDoc } from '../src/model/docs.ts';

writeFileSync(new URL('../docs/timing.md', import.meta.url), renderTimingDoc());
writeFileSync(new URL('../docs/exits.md', import.meta.url), renderExitsDoc());
console.log('wrote docs/timing.md and docs/exits.md');
