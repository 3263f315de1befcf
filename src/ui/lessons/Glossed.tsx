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
/** A text cut at its `backtick` spans: plain runs and code, in order. */
function codeSpans(text: string): { code: boolean; text: string }[] {
  return text
    .split(/(`[^`]*`)/)
    .filter((c) => c !== '')
    .map((c) => (c.length >= 2 && c.startsWith('`') && c.endsWith('`') ? { code: true, text: c.slice(1, -1) } : { code: false, text: c }));
}

export type GlossPart = { kind: 'text'; text: string } | { kind: 'code'; text: string } | { kind: 'term'; text: string; term: string; def: string };

export function glossParts(text: string): GlossPart[] {
  const out: GlossPart[] = [];
  const used = new Set<string>();
  codeSpans(text).forEach(({ code, text: chunk }) => {
    if (code) {
      out.push({ kind: 'code', text: chunk });
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
  return codeSpans(text).map((c, i) => (c.code ? <code key={i}>{c.text}</code> : <Fragment key={i}>{c.text}</Fragment>));
}
