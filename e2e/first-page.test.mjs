// The first page: it autoplays, the canvas animates, and Pause/Play stop and restart time.
//
// Page contract (implemented by src/): `canvas#stage`; a `[role="status"]` bar with
// `[data-field="time"]` ("1.234 s", virtual time), `events`, `in-flight` and
// `fingerprint` ("Fingerprint " + 16 hex digits); `button#play` reading Pause or Play.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { artifactPath, collectErrors, openSite, startSite, statusText, waitUntil } from './support.mjs';

const TIME = '[data-field="time"]';
const PLAY_BUTTON = 'button#play';
/** Long enough to see a running clock tick, short enough to keep the suite quick. */
const STILLNESS_WINDOW_MS = 300;

let site;

before(async () => {
  site = await openSite();
});

after(async () => {
  await site?.close();
});

test('the first page autoplays, animates, pauses and resumes without errors', async () => {
  const { page, errors } = site;

  await waitUntil(
    page,
    'the fingerprint shows 16 hex digits',
    () => /^Fingerprint [0-9a-f]{16}$/.test(document.querySelector('[data-field="fingerprint"]')?.textContent?.trim() ?? ''),
    undefined,
    30_000,
  );
  for (const field of ['events', 'in-flight']) {
    const text = await page.locator(`[data-field="${field}"]`).textContent();
    assert.match(text.trim(), /^\d+$/, `${field} should be an integer; status bar: ${await statusText(page)}`);
  }
  assert.equal(await buttonText(page), 'Pause', 'the page should autoplay, so the button offers Pause');

  await waitUntilTimePasses(page, await virtualTime_s(page), 'virtual time advances after load');
  await assertCanvasAnimates(page);

  await page.click(PLAY_BUTTON);
  await waitUntil(page, 'the button reads Play after clicking Pause', buttonReads, 'Play');
  await nextFrames(page);
  const paused_s = await virtualTime_s(page);
  await page.waitForTimeout(STILLNESS_WINDOW_MS);
  assert.equal(
    await virtualTime_s(page),
    paused_s,
    `virtual time should stand still while paused; status bar: ${await statusText(page)}`,
  );

  await page.click(PLAY_BUTTON);
  await waitUntil(page, 'the button reads Pause after clicking Play', buttonReads, 'Pause');
  await waitUntilTimePasses(page, paused_s, 'virtual time advances again after Play');

  assert.deepEqual(errors, [], `the page logged errors:\n${errors.join('\n')}`);
});

test('with reduced motion asked for, the page opens paused and waits for Play', async () => {
  const site = await startSite();
  try {
    const context = await site.browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(site.url);
    await waitUntil(page, 'the page has rendered', () => /^Fingerprint [0-9a-f]{16}$/.test(document.querySelector('[data-field="fingerprint"]')?.textContent?.trim() ?? ''));
    assert.equal(await buttonText(page), 'Play', 'nothing moves until asked');
    await page.waitForTimeout(STILLNESS_WINDOW_MS);
    assert.equal(await virtualTime_s(page), 0, 'virtual time stands at zero');
    await page.click(PLAY_BUTTON);
    await waitUntilTimePasses(page, 0, 'Play starts it');
    assert.deepEqual(errors, [], `the page logged errors:\n${errors.join('\n')}`);
  } finally {
    await site.close();
  }
});

/** Virtual time in seconds, parsed from the status bar's "1.234 s". */
async function virtualTime_s(page) {
  const text = (await page.locator(TIME).textContent()) ?? '';
  const time_s = Number.parseFloat(text);
  assert.ok(Number.isFinite(time_s), `time field should read like "1.234 s", got ${JSON.stringify(text)}`);
  return time_s;
}

async function waitUntilTimePasses(page, since_s, description) {
  await waitUntil(
    page,
    `${description} (past ${since_s} s)`,
    ([selector, since]) => Number.parseFloat(document.querySelector(selector)?.textContent ?? '') > since,
    [TIME, since_s],
  );
}

/** Screenshots the canvas until two shots differ, which shows messages moving. */
async function assertCanvasAnimates(page) {
  const canvas = page.locator('canvas#stage');
  const before = await canvas.screenshot({ path: await artifactPath('first-page-before.png') });
  // Polls a few times rather than trusting one interval: a slow CI frame must not fail the test.
  const deadline_ms = Date.now() + 5_000;
  let after;
  do {
    await page.waitForTimeout(STILLNESS_WINDOW_MS);
    after = await canvas.screenshot({ path: await artifactPath('first-page-after.png') });
  } while (before.equals(after) && Date.now() < deadline_ms);
  assert.ok(
    !before.equals(after),
    `canvas#stage should change while playing (see e2e/artifacts/); status bar: ${await statusText(page)}`,
  );
}

async function buttonText(page) {
  return ((await page.locator(PLAY_BUTTON).textContent()) ?? '').trim();
}

function buttonReads(label) {
  return document.querySelector('button#play')?.textContent?.trim() === label;
}

/** Waits two animation frames, so a render already scheduled by the click has landed. */
async function nextFrames(page) {
  await page.evaluate(
    () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
  );
}
