// Writes public/scenario.schema.json from the one schema definition in src/model/scenario.ts.
import { writeFileSync } from 'node:fs';
import { scenarioJsonSchema } from '../src/model/scenario.ts';

const path = new URL('../public/scenario.schema.json', import.meta.url);
writeFileSync(path, `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
console.log(`wrote ${path.pathname}`);
