// Embedding: commands are heard only from the embedding page's origin and only in the documented
// shape; keys go to the deck in reveal.js's postMessage format, and only to the deck's origin.
import { describe, expect, it } from 'vitest';
import { readCommand } from '../src/ui/embed/messages.ts';
import { revealForwarder } from '../src/ui/embed/presenter.ts';
import { embedSnippet } from '../src/ui/Share.tsx';

const DECK = 'https://talks.example';

describe('postMessage commands', () => {
  it('accepts a command object or its JSON from the embedding origin', () => {
    expect(readCommand({ caretakerLab: 'seek', args: [5], id: 1 }, DECK, DECK)).toEqual({ caretakerLab: 'seek', args: [5], id: 1 });
    expect(readCommand('{"caretakerLab":"next"}', DECK, DECK)).toEqual({ caretakerLab: 'next' });
  });
  it('ignores other origins, an unknown embedder, and anything not shaped like a command', () => {
    expect(readCommand({ caretakerLab: 'seek', args: [5] }, 'https://evil.example', DECK)).toBeNull();
    expect(readCommand({ caretakerLab: 'seek' }, DECK, null)).toBeNull();
    expect(readCommand('not json', DECK, DECK)).toBeNull();
    expect(readCommand({ method: 'next' }, DECK, DECK)).toBeNull();
    expect(readCommand({ caretakerLab: 'seek', args: 5 }, DECK, DECK)).toBeNull();
    expect(readCommand(`{"caretakerLab":"seek","pad":"${'x'.repeat(20_000)}"}`, DECK, DECK)).toBeNull();
  });
});

describe('key forwarding', () => {
  it("posts reveal.js's triggerKey to the deck's origin only", () => {
    const sent: [unknown, string][] = [];
    const target = { postMessage: (m: unknown, o: string) => void sent.push([m, o]) } as unknown as Window;
    revealForwarder(target, DECK)({ keyCode: 78 } as KeyboardEvent);
    expect(sent).toEqual([['{"method":"triggerKey","args":[78]}', DECK]]);
    revealForwarder(target, null)({ keyCode: 39 } as KeyboardEvent);
    revealForwarder(null, DECK)({ keyCode: 39 } as KeyboardEvent);
    expect(sent).toHaveLength(1);
  });
  it('writes an iframe snippet with the URL escaped for an attribute', () => {
    expect(embedSnippet('https://lab/?embed=1&t=0#s="x"')).toBe('<iframe src="https://lab/?embed=1&amp;t=0#s=&quot;x&quot;" width="1280" height="720" style="border:0" allow="fullscreen" title="Caretaker Lab"></iframe>');
  });
});
