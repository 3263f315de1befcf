/**
 * Text as the lab shows it: `backticks` become code, and the first use of each glossary term in a
 * block explains itself on hover or keyboard focus (a tooltip with the term's definition). Used for
 * lesson steps, concept pages, scenario descriptions and the details panel.
 */
import { Fragment, type ReactNode } from 'react';
import { GLOSSARY } from '../../lessons/glossary.ts';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Every spelling → its entry; matched longest first, on word edges. */
const SPELLINGS = new Map<string, (typeof GLOSSARY)[number]>();
for (const g of GLOSSARY) for (const w of [g.term, ...(g.aliases ?? [])]) if (!SPELLINGS.has(w)) SPELLINGS.set(w, g);
const TERM_RE = new RegExp(`(?<![\\w/>-])(${[...SPELLINGS.keys()].sort((a, b) => b.length - a.length).map(escape).join('|')})(?![\\w/-])`, 'g');

/** Splits a text into plain runs, code spans and glossary terms (the first use of each term). */
export type GlossPart = { kind: 'text'; text: string } | { kind: 'code'; text: string } | { kind: 'term'; text: string; term: string; def: string };

export function glossParts(text: string): GlossPart[] {
  const out: GlossPart[] = [];
  const used = new Set<string>();
  text.split(/(`[^`]*`)/).forEach((chunk) => {
    if (chunk.startsWith('`') && chunk.endsWith('`') && chunk.length >= 2) {
      out.push({ kind: 'code', text: chunk.slice(1, -1) });
      return;
    }
    let last = 0;
    for (const m of chunk.matchAll(TERM_RE)) {
      const g = SPELLINGS.get(m[1])!;
      if (used.has(g.term)) continue;
      used.add(g.term);
      if (m.index > last) out.push({ kind: 'text', text: chunk.slice(last, m.index) });
      out.push({ kind: 'term', text: m[1], term: g.term, def: g.text });
      last = m.index + m[1].length;
    }
    if (last < chunk.length) out.push({ kind: 'text', text: chunk.slice(last) });
  });
  return out;
}

export function Glossed({ text }: { text: string }): ReactNode {
  return glossParts(text).map((p, i) =>
    p.kind === 'text' ? (
      <Fragment key={i}>{p.text}</Fragment>
    ) : p.kind === 'code' ? (
      <code key={i}>{p.text}</code>
    ) : (
      <span key={i} className="gloss" tabIndex={0} data-term={p.term}>
        {p.text}
        <span className="gloss-tip" role="tooltip">
          <strong>{p.term}</strong>: {p.def}
        </span>
      </span>
    ),
  );
}

/** Short labels (choices, buttons): `backticks` as code, no glossary tooltips inside controls. */
export function CodeText({ text }: { text: string }): ReactNode {
  return text.split(/(`[^`]*`)/).map((chunk, i) => (chunk.length >= 2 && chunk.startsWith('`') && chunk.endsWith('`') ? <code key={i}>{chunk.slice(1, -1)}</code> : <Fragment key={i}>{chunk}</Fragment>));
}
