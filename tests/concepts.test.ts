// The concept pages and glossary (issue 6): every concept cites a source and links a lesson that
// exists; the generated docs/concepts/ pages match their source; every concept the details panel
// names has a page; glossary terms are unique and point at real pages.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONCEPT_LIST, conceptById } from '../src/lessons/concepts.ts';
import { GLOSSARY } from '../src/lessons/glossary.ts';
import { LESSONS, lessonById } from '../src/lessons/index.ts';
import { DETAIL_CONCEPTS } from '../src/ui/describe.ts';
import { conceptPages } from '../scripts/write-concepts.ts';

describe('concept pages', () => {
  it.each(CONCEPT_LIST.map((c) => [c.id, c] as const))('%s cites its sources and links a lesson that exists', (_id, c) => {
    expect(c.sources.length).toBeGreaterThanOrEqual(1);
    for (const s of c.sources) expect(s.ref).toMatch(/(rfc-thread\.md|orphanvm\.md|mechanics\.md|walkthrough\.md|design\.md|Documentation\/|realdata\.md)/);
    expect(c.lessons.length).toBeGreaterThanOrEqual(1);
    for (const l of c.lessons) expect(lessonById(l), `lesson ${l}`).toBeDefined();
    expect(c.body.length).toBeGreaterThanOrEqual(2);
  });
  it('has a page for every concept a lesson or the details panel names', () => {
    for (const l of LESSONS) for (const c of l.concepts) expect(conceptById(c), `${l.id} names ${c}`).toBeDefined();
    for (const c of DETAIL_CONCEPTS) expect(conceptById(c), c).toBeDefined();
  });
  it('docs/concepts/ is generated from src/lessons/concepts.ts (run `npx tsx scripts/write-concepts.ts`)', () => {
    const pages = conceptPages();
    const root = join(__dirname, '..', 'docs');
    for (const [file, text] of pages) expect(readFileSync(join(root, file.replace(/^docs\//, '')), 'utf8'), file).toBe(text);
    const onDisk = readdirSync(join(root, 'concepts')).filter((f) => f.endsWith('.md'));
    expect(onDisk.length).toBe(CONCEPT_LIST.length + 1); // + README.md
    for (const c of CONCEPT_LIST) {
      const md = readFileSync(join(root, 'concepts', `${c.id}.md`), 'utf8');
      expect(md).toContain('## Sources');
      expect(md).toMatch(/\?lesson=[a-z-]+/);
    }
  });
});

describe('glossary', () => {
  it('has unique spellings, short definitions, and concepts that exist', () => {
    const spellings = GLOSSARY.flatMap((g) => [g.term, ...(g.aliases ?? [])]);
    expect(new Set(spellings).size).toBe(spellings.length);
    expect(GLOSSARY.length).toBeGreaterThanOrEqual(30);
    for (const g of GLOSSARY) {
      expect(g.text.split(/\s+/).length, g.term).toBeLessThanOrEqual(40);
      if (g.concept) expect(conceptById(g.concept), g.term).toBeDefined();
    }
  });
});
