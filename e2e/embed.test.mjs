// The embedded player: a course page holds dsplay in a 320 px iframe, plays, pauses and
// seeks it with postMessage and hears its status; the player's controls follow its
// address, and "Open in playground" leads to the full page at the same moment.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { collectErrors, startSite, waitUntil } from './support.mjs';

let site;

before(async () => {
  site = await startSite();
});

after(async () => {
  await site?.close();
});

/** The page's frame whose address matches `pattern`, once it is there. */
async function frameMatching(page, pattern) {
  for (let tries = 0; tries < 150; tries += 1) {
    const frame = page.frames().find((candidate) => pattern.test(candidate.url()));
    if (frame) return frame;
    await page.waitForTimeout(100);
  }
  throw new Error(`no frame at ${pattern}`);
}

/** A course page holding one player at `query`, recording what the player reports. */
async function coursePage(query, width = 320, height = 440) {
  const page = await site.browser.newPage({ viewport: { width: 800, height: 700 } });
  const errors = collectErrors(page);
  await page.setContent(`<!doctype html><title>Course</title>
    <script>window.reports = []; addEventListener('message', (event) => window.reports.push(event.data));</script>
    <h1>Week 3: partitions</h1>
    <iframe id="player" src="${site.url}${query}" width="${width}" height="${height}" title="dsplay"></iframe>`);
  const frame = await frameMatching(page, /embed/);
  await waitUntil(frame, 'the player renders', () => !!document.querySelector('.app.embed .embed-status'));
  const send = (message) => page.evaluate((message) => document.querySelector('#player').contentWindow.postMessage(message, '*'), message);
  return { page, frame, errors, send };
}

test('a course page plays, pauses and seeks a 320 px player and hears its status', async () => {
  const { page, frame, errors, send } = await coursePage('?preset=sequential-feed&embed&controls=min&autoplay=0&theme=dark');
  assert.equal(await frame.locator('#play').textContent(), 'Play', 'autoplay=0 waits');
  assert.equal(await frame.locator('[data-field="time"]').textContent(), '0.000 s');
  assert.equal(await frame.locator('.app').getAttribute('data-theme'), 'dark');
  assert.ok(await frame.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth), 'nothing sticks out at 320 px');
  // The controls and the full playground's toolbar: only the first.
  assert.equal(await frame.locator('#scrubber').count(), 1);
  assert.equal(await frame.locator('#add-replica').count(), 0);

  await send({ type: 'dsplay:play' });
  await waitUntil(frame, 'it plays', () => parseFloat(document.querySelector('[data-field="time"]').textContent) > 0.2);
  await waitUntil(page, 'the course page hears it playing', () => window.reports.some((report) => report.type === 'dsplay:status' && report.playing && report.time_ms > 0));
  await send({ type: 'dsplay:seek', time_ms: 3000 });
  await waitUntil(frame, 'it moved to 3 s, paused', () => document.querySelector('[data-field="time"]').textContent === '3.000 s' && document.querySelector('#play').textContent === 'Play');
  await waitUntil(page, 'the course page hears the moment and the verdict', () => window.reports.some((report) => report.time_ms === 3000 && report.playing === false && report.model === 'sequential' && report.valid === true));
  await send({ type: 'something else', time_ms: 1 });
  await send({ type: 'dsplay:seek', time_ms: -5 });
  assert.equal(await frame.locator('[data-field="time"]').textContent(), '3.000 s', 'other messages are ignored');

  // "Open in playground" carries the scenario and the moment.
  const href = await frame.locator('#open-playground').getAttribute('href');
  assert.match(href, /^\.\/#v2\/3000\//);
  const full = await site.browser.newPage({ viewport: { width: 1280, height: 800 } });
  await full.goto(new URL(href, `${site.url}?preset=sequential-feed&embed`).href);
  await waitUntil(full, 'the playground opens at 3 s', () => document.querySelector('.scenario-info h2')?.textContent === 'A news feed in one order' && document.querySelector('[data-field="time"]').textContent === '3.000 s');
  assert.equal(await full.locator('#add-replica').count(), 1);
  await full.close();
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});

test('the address chooses the controls, and a bad option is named', async () => {
  const none = await coursePage('?preset=partition&embed&controls=none');
  assert.equal(await none.frame.locator('#play').count(), 0);
  assert.equal(await none.frame.locator('#scrubber').count(), 0);
  await waitUntil(none.frame, 'it autoplays', () => parseFloat(document.querySelector('[data-field="time"]').textContent) > 0.2);
  await none.page.close();

  const full = await coursePage('?preset=partition&embed&controls=full', 640, 520);
  assert.equal(await full.frame.locator('#next-violation').count(), 1);
  assert.equal(await full.frame.locator('.fault-mark').count(), 1, 'the fault lane comes with the full controls');
  await full.page.close();

  const bad = await coursePage('?preset=partition&embed&controls=huge&theme=blue');
  await waitUntil(bad.frame, 'the bad options are named', () => /controls must be none, min or full, not "huge"; theme must be light or dark, not "blue"/.test(document.querySelector('.error-banner[role="alert"]')?.textContent ?? ''));
  assert.equal(await bad.frame.locator('#play').count(), 1, 'the defaults apply');
  assert.deepEqual([...none.errors, ...full.errors, ...bad.errors], [], 'no console errors');
  await bad.page.close();
});

test('the example course page holds four players (a lesson step and a challenge among them) and drives one of them', async () => {
  const page = await site.browser.newPage({ viewport: { width: 900, height: 900 } });
  const errors = collectErrors(page);
  await page.goto(`${site.url}embed-example.html`);
  assert.equal(await page.locator('iframe').count(), 4);
  const strict = await frameMatching(page, /preset=partition/);
  await waitUntil(strict, 'the first player renders', () => !!document.querySelector('.app.embed canvas'));
  await page.click('#to-partition');
  await waitUntil(page, 'the page hears the player at the partition', () => /^At [6-9]\.\d s: linearizable holds\.$/.test(document.querySelector('#status').textContent));
  const eventual = await frameMatching(page, /preset=eventual-dns/);
  await waitUntil(eventual, 'the second player has the full controls', () => !!document.querySelector('#next-violation'));
  const lesson = await frameMatching(page, /lesson=partition-tradeoff/);
  await waitUntil(lesson, 'the third player shows the lesson step', () => document.querySelector('.lesson-panel')?.dataset.step === '1' && !!document.querySelector('#lesson-show'));
  const challenge = await frameMatching(page, /challenge=dns-directory/);
  await waitUntil(challenge, 'the fourth player shows the challenge', () => !!document.querySelector('.challenge-card #take-challenge'));
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});

test('the Embed button gives an iframe snippet that shows the same run', async () => {
  const page = await site.browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = collectErrors(page);
  await page.goto(`${site.url}?preset=partition`);
  await waitUntil(page, 'the preset plays', () => document.querySelector('#play')?.textContent === 'Pause');
  await page.click('#play');
  await page.locator('#scrubber').fill('2000');
  await waitUntil(page, 'at 2 s', () => document.querySelector('[data-field="time"]').textContent === '2.000 s');
  await page.click('#embed-code-button');
  const code = await page.locator('#embed-code').inputValue();
  assert.match(code, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/\?embed&amp;controls=min#v2\/2000\/[A-Za-z0-9_-]+" width="640" height="420" title="Partition: the minority side refuses rather than lies"/);
  const course = await site.browser.newPage();
  await course.setContent(`<!doctype html><h1>Course</h1>${code}`);
  const frame = await frameMatching(course, /embed/);
  await waitUntil(frame, 'the snippet shows the run at 2 s, paused', () => document.querySelector('[data-field="time"]')?.textContent === '2.000 s' && document.querySelector('#play').textContent === 'Play');
  assert.equal(await frame.locator('.embed-title').textContent(), 'Partition: the minority side refuses rather than lies');
  assert.deepEqual(errors, [], 'no console errors');
  await course.close();
  await page.close();
});

test('the player can show the history or the space-time diagram instead of the canvas', async () => {
  const history = await coursePage('?preset=sequential-feed&embed&view=history&controls=min', 480, 440);
  await waitUntil(history.frame, 'the history fills in', () => document.querySelectorAll('.op-bar').length > 3);
  assert.equal(await history.frame.locator('canvas').count(), 0);
  await history.send({ type: 'dsplay:seek', time_ms: 2000 });
  await waitUntil(history.frame, 'the history follows the seek', () => Number(document.querySelector('.history-chart')?.dataset.endMs) < 2200);
  await history.page.close();

  const spacetime = await coursePage('?preset=partition&embed&view=spacetime', 480, 520);
  await waitUntil(spacetime.frame, 'the diagram is drawn', () => document.querySelectorAll('svg.spacetime-svg .arrow').length > 0);
  assert.equal(await spacetime.frame.locator('canvas').count(), 0);
  assert.deepEqual([...history.errors, ...spacetime.errors], [], 'no console errors');
  await spacetime.page.close();
});
