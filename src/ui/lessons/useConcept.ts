/**
 * A concept page for the details panel, fetched with the concepts chunk on first use (the pages
 * are too large for the main bundle); undefined until it has arrived.
 */
import { useEffect, useState } from 'react';
import type { Concept } from '../../lessons/types.ts';

let pages: Promise<typeof import('../../lessons/concepts.ts')> | null = null;

export function useConcept(id: string | null): Concept | undefined {
  const [c, setC] = useState<Concept | undefined>(undefined);
  useEffect(() => {
    let live = true;
    if (!id) {
      setC(undefined);
      return;
    }
    pages ??= import('../../lessons/concepts.ts');
    void pages.then((m) => live && setC(m.conceptById(id)));
    return () => {
      live = false;
    };
  }, [id]);
  return c;
}
