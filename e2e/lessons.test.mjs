// Lessons: the index lists every lesson file by topic; a lesson can be walked through to
// its end, and each "predict before you see" answer the page reveals is the one
// `dsplay lesson --json` works out from the same run, shown once the run reaches it;
// a step's address survives a reload; an embedded player shows a lesson's step; a bad
// lesson address says why and opens the playground.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { artifactPath, collectErrors, startSite, waitUntil } from './support.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = process.env.DSPLAY_CLI ?? path.join(ROOT, 'target', 'debug', 'dsplay');
const LESSON_IDS = readdirSync(path.join(ROOT, 'lessons'))
  .filter((name) => name.endsWith('.json'))
  .map((name) => name.replace(/\.json$/, ''))
  .sort();

let site;

before(async () => {
  site = await startSite();
});

after(async () => {
  await site?.close();
});

/** What the CLI says each step of lesson `id` shows and answers. */
function cliLesson(id) {
  return JSON.parse(execFileSync(CLI, ['lesson', path.join(ROOT, 'lessons', `${id}.json`), '--json'], { encoding: 'utf8' }));
}

/** The status bar's rendering of `at_ms` (seconds with milliseconds, truncated). */
function shownTime(at_ms) {
  const ms = Math.floor(at_ms + 1e-6);
  return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')} s`;
}

test('the lessons index lists every lesson by topic and leads into one', async () => {
  const page = await site.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = collectErrors(page);
  await page.goto(`${site.url}?lessons`);
  await waitUntil(page, 'the index renders', () => document.querySelectorAll('.lessons-item').length > 0);
  const listed = (await page.locator('.lessons-item').evaluateAll((items) => items.map((item) => item.dataset.lesson))).sort();
  assert.deepEqual(listed, LESSON_IDS, 'every lesson file is listed once');
  assert.deepEqual(await page.locator('.lessons-group h3').allTextContents(), ['Consistency models', 'Failures', 'Trade-offs']);
  await page.screenshot({ path: await artifactPath('lessons-index.png'), fullPage: true });
  await page.locator('.lessons-item[data-lesson="strict-password"] a').click();
  await waitUntil(page, 'the lesson opens at step 1', () => document.querySelector('.lesson-panel')?.dataset.step === '1');
  assert.equal(await page.locator('.lesson-panel').getAttribute('data-lesson'), 'strict-password');
  assert.deepEqual(errors, []);
  await page.close();
});

test('every lesson can be walked through to its end, each answer the run gives', async () => {
  const page = await site.browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = collectErrors(page);
  let questions = 0;
  for (const id of LESSON_IDS) {
    const expected = cliLesson(id);
    await page.goto(`${site.url}?lesson=${id}&speed=10`);
    for (const step of expected.steps) {
      await waitUntil(page, `${id} shows step ${step.step}`, (number) => document.querySelector('.lesson-panel')?.dataset.step === String(number), step.step);
      assert.equal(await page.locator('.lesson-title').textContent(), step.title, `${id} step ${step.step}`);
      assert.equal(await page.locator('[data-field="time"]').textContent(), shownTime(step.at_ms), `${id} step ${step.step} opens at its moment`);
      assert.match(await page.locator('[data-field="state"]').textContent(), /^(paused|finished)$/, 'a step opens standing still');
      if (step.question) {
        questions += 1;
        const answer = step.question.answer;
        assert.deepEqual(await page.locator('.lesson-choice').allTextContents(), step.question.choices);
        assert.equal(await page.locator('[data-field="lesson-answer"]').count(), 0, 'nothing is revealed before asking');
        // Alternate between a guess (the first choice) and asking without one.
        const guess = questions % 2 === 1;
        if (guess) {
          await page.locator('.lesson-choice input').first().check();
          await page.locator('#lesson-check').click();
        } else {
          await page.locator('#lesson-show').click();
        }
        await waitUntil(page, `${id} step ${step.step} reveals its answer`, () => !!document.querySelector('[data-field="lesson-answer"]'), undefined, 30_000);
        const shown = page.locator('[data-field="lesson-answer"]');
        assert.equal(await shown.getAttribute('data-choice'), String(answer.choice), `${id} step ${step.step}: ${answer.detail}`);
        assert.equal(await shown.locator('.lesson-detail').textContent(), answer.detail);
        const verdict = await shown.locator('.lesson-verdict').textContent();
        assert.ok(verdict.includes(answer.label), verdict);
        if (guess) assert.equal(await shown.evaluate((node) => node.classList.contains('right')), answer.choice === 0, verdict);
        // The run stopped where the answer can be seen.
        assert.equal(await page.locator('[data-field="time"]').textContent(), shownTime(answer.at_ms), `${id} step ${step.step}`);
        assert.match(await page.locator('[data-field="state"]').textContent(), /^(paused|finished)$/);
        if (id === 'strict-password' && step.step === 1) {
          await page.screenshot({ path: await artifactPath('lesson-answer.png') });
        }
      }
      if (step.step < expected.steps.length) {
        await page.locator('#lesson-next').click();
        await waitUntil(page, 'the address follows the step', (number) => location.search.includes(`step=${number}`), step.step + 1);
      } else {
        assert.equal(await page.locator('#lesson-next').count(), 0);
        assert.match(await page.locator('[data-field="lesson-done"]').textContent(), /End of the lesson/);
      }
    }
  }
  assert.ok(questions >= 2 * LESSON_IDS.length, `${questions} questions`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a step survives a reload, Back goes back, and a scenario pick leaves the lesson', async () => {
  const page = await site.browser.newPage({ viewport: { width: 1024, height: 800 } });
  const errors = collectErrors(page);
  await page.goto(`${site.url}?lesson=partition-tradeoff&step=2`);
  await waitUntil(page, 'step 2 shows', () => document.querySelector('.lesson-panel')?.dataset.step === '2');
  await page.reload();
  await waitUntil(page, 'step 2 shows again', () => document.querySelector('.lesson-panel')?.dataset.step === '2');
  await page.locator('#lesson-back').click();
  await waitUntil(page, 'step 1 shows', () => document.querySelector('.lesson-panel')?.dataset.step === '1' && location.search.includes('step=1'));
  await page.screenshot({ path: await artifactPath('lesson-1024.png') });
  await page.locator('#preset').selectOption('omission');
  await waitUntil(page, 'the lesson is left', () => !document.querySelector('.lesson-panel') && !location.search.includes('lesson='));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a bad lesson address says why and opens the playground', async () => {
  for (const [query, words] of [['?lesson=nope', 'There is no lesson called "nope"'], ['?lesson=crash&step=99', 'has steps 1 to']]) {
    const page = await site.browser.newPage({ viewport: { width: 1024, height: 800 } });
    const errors = collectErrors(page);
    await page.goto(`${site.url}${query}`);
    await waitUntil(page, 'the banner shows', () => !!document.querySelector('.error-banner[role="alert"]'));
    assert.ok((await page.locator('.error-banner').textContent()).includes(words));
    assert.equal(await page.locator('.lesson-panel').count(), 0);
    assert.equal(await page.locator('#stage').count(), 1);
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('an embedded player shows a lesson step in a 320 px iframe', async () => {
  const page = await site.browser.newPage({ viewport: { width: 800, height: 900 } });
  const errors = collectErrors(page);
  await page.setContent(`<!doctype html><title>Course</title>
    <iframe id="player" src="${site.url}?embed&controls=min&lesson=strict-password&step=2" width="320" height="760" title="dsplay"></iframe>`);
  let frame;
  for (let tries = 0; tries < 150 && !frame; tries += 1) {
    frame = page.frames().find((candidate) => /lesson=/.test(candidate.url()));
    if (!frame) await page.waitForTimeout(100);
  }
  assert.ok(frame, 'the player frame loads');
  await waitUntil(frame, 'the step shows', () => document.querySelector('.app.embed .lesson-panel')?.dataset.step === '2');
  assert.ok(await frame.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth), 'nothing sticks out at 320 px');
  await page.screenshot({ path: await artifactPath('lesson-embed.png') });
  assert.deepEqual(errors, []);
  await page.close();
});
