// The SVG export records the timeline's real drawing: the default run rendered through the SVG
// context gives a well-formed document with the lanes, labels, arrows and clip groups balanced,
// and text that cannot break out of its element.
import { describe, expect, it } from 'vitest';
import { inProcessClient } from '../src/sim/inProcess.ts';
import { presetById } from '../src/model/presets.ts';
import { TimelineData } from '../src/store/logMirror.ts';
import { buildLanes, lanesHeight } from '../src/ui/timeline/lanes.ts';
import { render } from '../src/ui/timeline/render.ts';
import { SvgContext } from '../src/ui/export/svgContext.ts';

/** Text measure stand-in for Node: 6 px per character at 10 px. */
const measurer = {
  font: '10px sans-serif',
  measureText(t: string) {
    const px = Number(/(\d+)px/.exec(this.font)?.[1] ?? 10);
    return { width: t.length * px * 0.6 };
  },
};

async function svgOf(title = 'Converged Caretaker, idle guest') {
  const c = inProcessClient();
  const loaded = await c.load(presetById('converged-idle')!.scenario);
  if (!loaded.ok) throw new Error('invalid');
  const data = new TimelineData();
  const adv = await c.runUntil(loaded.until, data.have());
  data.ingest(adv.delta!);
  const lanes = buildLanes(data, adv.snapshot);
  const ctx = new SvgContext(1600, lanesHeight(lanes), measurer);
  const r = render(ctx as unknown as CanvasRenderingContext2D, { data, lanes, view: { t0: 0, t1: loaded.until, width: 1600, height: lanesHeight(lanes), scrollY: 0 }, cursor: loaded.until, until: loaded.until, ringCapacity: loaded.ringCapacity, selectedIpi: -1, selectedIndex: -1 });
  return { svg: ctx.toSvg(title), arrows: r.arrows };
}

describe('SVG export', () => {
  it('draws the default run: lanes, labels and IPI arrows, well formed', async () => {
    const { svg, arrows } = await svgOf();
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="1600"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    for (const label of ['CPU 2', 'vm0/vCPU0', 'ORPHANED_RUNNING', 'Caretaker C2 (K&apos;s version)'.replace('&apos;', "'"), 'preserve', 'kexec']) expect(svg).toContain(label);
    expect(arrows).toBeGreaterThan(10);
    expect((svg.match(/<g /g) ?? []).length).toBe((svg.match(/<\/g>/g) ?? []).length);
    expect((svg.match(/<text /g) ?? []).length).toBe((svg.match(/<\/text>/g) ?? []).length);
    expect(svg.match(/<rect /g)!.length).toBeGreaterThan(100);
    expect(svg).toMatch(/<clipPath id="clip0">/);
  });
  it('escapes text, so a title cannot break out of the document', async () => {
    const { svg } = await svgOf('<script>alert(1)</script> & "x"');
    expect(svg).toContain('<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;</title>');
    expect(svg).not.toContain('<script>');
  });
});
