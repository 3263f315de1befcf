// The lessons in the browser (issue 6): every lesson played from its first step to its last, every
// checkpoint answered with the answer the engine computes in Node for the same scenario (so the
// Worker and Node agree too); a "try it" change moves an answer; progress survives a reload;
// lesson and step live in the URL; a lesson in embed mode is a talk driven by presenter keys; the
// concept pages open their lessons; glossary terms explain themselves on hover.
import { expect, test, type Page } from '@playwright/test';
import { LESSONS, lessonScenario, merged } from '../src/lessons/index.ts';
import type { Lesson, LessonRun } from '../src/lessons/types.ts';
import { runScenario } from '../tests/lessonRun.ts';

const runs = new Map<string, LessonRun>();
async function runOf(l: Lesson): Promise<LessonRun> {
  if (!runs.has(l.id)) runs.set(l.id, await runScenario(lessonScenario(l)));
  return runs.get(l.id)!;
}
const choicesOf = (l: Lesson, i: number, run: LessonRun) => {
  const c = l.steps[i].checkpoint!.choices;
  return typeof c === 'function' ? c(run) : c;
};

function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return errors;
}

async function answerCheckpoint(page: Page, choice: string) {
  const label = choice.replace(/`/g, ''); // code marks are drawn, not shown
  const cp = page.getByTestId('checkpoint');
  await cp.getByRole('radio', { name: label, exact: true }).check();
  await page.getByTestId('watch').click();
  await expect(page.getByTestId('cp-result')).toContainText(`Right: ${label}.`, { timeout: 20_000 });
}

test('plays every lesson from first step to last, answering every checkpoint', async ({ page }) => {
  test.setTimeout(300_000);
  const errors = watchErrors(page);
  for (const lesson of LESSONS) {
    const run = await runOf(lesson);
    await page.goto(`./?lesson=${lesson.id}`);
    await expect(page.getByTestId('lesson')).toBeVisible();
    for (let i = 0; i < lesson.steps.length; i++) {
      const step = lesson.steps[i];
      await expect(page.getByTestId('lesson-step')).toHaveText(`step ${i + 1} of ${lesson.steps.length}`);
      await expect(page.getByTestId('lesson-title')).toHaveText(step.title);
      await expect.poll(() => new URL(page.url()).searchParams.get('step')).toBe(String(i + 1));
      if (step.checkpoint) {
        const label = choicesOf(lesson, i, run)[step.checkpoint.answer(run)];
        await answerCheckpoint(page, label);
      }
      if (i + 1 < lesson.steps.length) await page.getByTestId('lesson-next').click();
    }
    await expect(page.getByTestId('lesson-done')).toContainText('Lesson complete.');
  }
  // progress is kept in the browser: after a reload the course shows every lesson done
  await page.reload();
  await page.getByTestId('lessons').click();
  for (const lesson of LESSONS) await expect(page.getByTestId(`progress-${lesson.id}`)).toContainText('done');
  expect(errors).toEqual([]);
});

test('"try it" runs a changed scenario and the checkpoint answer changes with it', async ({ page }) => {
  const errors = watchErrors(page);
  const lesson = LESSONS[0];
  const i = lesson.steps.findIndex((s) => s.checkpoint);
  const cp = lesson.steps[i].checkpoint!;
  const base = await runOf(lesson);
  const changed = await runScenario(merged(lessonScenario(lesson), cp.tryIt.patch));
  const before = choicesOf(lesson, i, base)[cp.answer(base)];
  const after = choicesOf(lesson, i, changed)[cp.answer(changed)];
  expect(after).not.toBe(before);
  await page.goto(`./?lesson=${lesson.id}&step=${i + 1}`);
  await expect(page.getByTestId('lesson-title')).toHaveText(lesson.steps[i].title);
  await answerCheckpoint(page, before);
  await page.getByTestId('try-it').click();
  await expect(page.locator('.lesson-changed')).toBeVisible();
  await expect(page.getByTestId('lesson-step')).toHaveText(`step ${i + 1} of ${lesson.steps.length}`);
  // the changed scenario travels in the URL with the lesson
  await expect.poll(() => new URL(page.url()).hash.startsWith('#s=')).toBe(true);
  await answerCheckpoint(page, after);
  // and reloading the link opens the same changed lesson
  await page.reload();
  await expect(page.locator('.lesson-changed')).toBeVisible();
  await expect(page.getByTestId('lesson-title')).toHaveText(lesson.steps[i].title);
  expect(errors).toEqual([]);
});

test('a lesson in embed mode is a talk: presenter keys step it and reveal its checkpoints', async ({ page }) => {
  const errors = watchErrors(page);
  const lesson = LESSONS[0];
  const run = await runOf(lesson);
  await page.goto(`./?embed=1&theme=projector&lesson=${lesson.id}`);
  await expect(page.getByTestId('embed-lesson')).toContainText(`step 1 of ${lesson.steps.length}`);
  await page.locator('canvas').first().click({ position: { x: 5, y: 5 } });
  for (let i = 0; i < lesson.steps.length; i++) {
    await expect(page.getByTestId('embed-lesson')).toContainText(`step ${i + 1} of ${lesson.steps.length}`);
    await expect(page.getByTestId('embed-lesson').locator('h2')).toHaveText(lesson.steps[i].title);
    const cp = lesson.steps[i].checkpoint;
    if (cp) {
      await expect(page.getByTestId('embed-answer')).toHaveCount(0);
      await page.keyboard.press('ArrowRight'); // reveals first
      await expect(page.getByTestId('embed-answer')).toHaveText(`→ ${choicesOf(lesson, i, run)[cp.answer(run)].replace(/`/g, '')}.`, { timeout: 20_000 });
    }
    if (i === 1) await page.screenshot({ path: 'test-results/lesson-embed.png' });
    await page.keyboard.press('ArrowRight');
  }
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('embed-lesson')).toContainText(`step ${lesson.steps.length - 1} of ${lesson.steps.length}`);
  expect(errors).toEqual([]);
});

test('a link to a lesson that does not exist opens the default scenario and says so', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('./?lesson=no-such-lesson&step=3');
  await expect(page.getByTestId('notice')).toContainText('names a lesson the lab does not have');
  await expect(page.getByTestId('title')).toHaveText('Converged Caretaker, idle guest');
  await expect(page.getByTestId('lesson')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('concept pages cite their sources and open their lessons; glossary terms explain themselves', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('./');
  await expect(page.getByTestId('status')).toHaveClass(/ready/);
  await page.getByTestId('concepts-button').click();
  await page.getByTestId('concept-detach').click();
  const pageEl = page.getByTestId('concept-page');
  await expect(pageEl.locator('cite').first()).toBeVisible();
  await pageEl.locator('[data-testid^="concept-lesson-"]').first().click();
  await expect(page.getByTestId('lesson')).toBeVisible();
  await expect(page.getByTestId('lesson-step')).toHaveText(/^step 1 of \d+$/);
  // a glossary term in the lesson text: its definition appears on hover and on keyboard focus
  const term = page.getByTestId('lesson-text').locator('.gloss').first();
  await term.hover();
  await expect(term.locator('.gloss-tip')).toBeVisible();
  await page.mouse.move(0, 0);
  await term.focus();
  await expect(term.locator('.gloss-tip')).toBeVisible();
  await page.screenshot({ path: 'test-results/lesson-panel.png', fullPage: false });
  expect(errors).toEqual([]);
});

test('keyboard only: [ and ] step a lesson, and its controls are reachable by Tab', async ({ page }) => {
  const errors = watchErrors(page);
  const lesson = LESSONS[0];
  await page.goto(`./?lesson=${lesson.id}`);
  await expect(page.getByTestId('lesson-title')).toHaveText(lesson.steps[0].title);
  await page.keyboard.press('BracketRight');
  await expect(page.getByTestId('lesson-step')).toHaveText(`step 2 of ${lesson.steps.length}`);
  await page.keyboard.press('BracketLeft');
  await expect(page.getByTestId('lesson-step')).toHaveText(`step 1 of ${lesson.steps.length}`);
  // Tab reaches the lesson's Next button, and Enter presses it
  for (let n = 0; n < 60; n++) {
    await page.keyboard.press('Tab');
    if (await page.getByTestId('lesson-next').evaluate((el) => el === document.activeElement)) break;
  }
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('lesson-step')).toHaveText(`step 2 of ${lesson.steps.length}`);
  expect(errors).toEqual([]);
});
