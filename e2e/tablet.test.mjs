// A 768 px tablet held upright, used with fingers: the page fits the width, every control
// of the toolbar and timeline is on screen, nodes are added with a tap, linked by a
// finger dragged from one to another with the Link tool, moved by a drag, the view
// zoomed with two fingers, and a fault dragged along the lane.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { artifactPath, collectErrors, startSite, waitUntil } from './support.mjs';

let site;

before(async () => {
  site = await startSite();
});

after(async () => {
  await site?.close();
});

/** Touches through the DevTools protocol: each finger is a point in page pixels. */
async function touch(session, type, points) {
  await session.send('Input.dispatchTouchEvent', {
    type,
    touchPoints: points.map(({ x, y }, id) => ({ x, y, id, radiusX: 4, radiusY: 4, force: 1 })),
  });
}

/** A one-finger drag from `from` to `to` in `steps` moves. */
async function drag(session, from, to, steps = 8) {
  await touch(session, 'touchStart', [from]);
  for (let step = 1; step <= steps; step += 1) {
    const t = step / steps;
    await touch(session, 'touchMove', [{ x: from.x + (to.x - from.x) * t, y: from.y + (to.y - from.y) * t }]);
  }
  await touch(session, 'touchEnd', []);
  // Chromium takes a tap within about 300 ms of a lifted finger for the second half of
  // a double tap and sends no click; a person's next tap comes later than that.
  await new Promise((resolve) => setTimeout(resolve, 400));
}

/**
 * Taps a toggle button until it reads `on`: on a loaded machine Chromium can still take a
 * tap shortly after a lifted finger for the second half of a double tap and send no
 * click, and a person simply taps again.
 */
async function tapToggle(page, selector, on) {
  for (let tries = 0; tries < 3; tries += 1) {
    await page.tap(selector);
    const pressed = await page
      .waitForFunction(([css, want]) => document.querySelector(css).getAttribute('aria-pressed') === want, [selector, String(on)], { timeout: 1_500, polling: 50 })
      .then(() => true, () => false);
    if (pressed) return;
  }
  assert.fail(`${selector} never turned ${on ? 'on' : 'off'} after three taps`);
}

test('a tablet user builds, links, moves, zooms and reschedules with fingers', async () => {
  const context = await site.browser.newContext({ viewport: { width: 768, height: 1024 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  const errors = collectErrors(page);
  const session = await context.newCDPSession(page);
  await page.goto(`${site.url}?preset=empty`);
  await waitUntil(page, 'the blank canvas opens', () => document.querySelector('.node-list .hint') !== null);

  // Nothing wider than the screen, and the main controls all within it.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 768), 'no sideways scrolling');
  for (const selector of ['#add-replica', '#add-client', '#link-tool', '#lasso-tool', '#heal-all', '#undo', '#model', '#preset', '#seed', '#play', '#step', '#next-fault', '#next-violation', '#speed', '#scrubber']) {
    const box = await page.locator(selector).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 768, `${selector} is on screen: ${JSON.stringify(box)}`);
  }

  // Three replicas and a client by tapping the toolbar.
  for (const id of ['#add-replica', '#add-replica', '#add-replica', '#add-client']) await page.tap(id);
  await waitUntil(page, 'four nodes are listed', () => document.querySelectorAll('.node-button').length === 4);
  await page.tap('#arrange');
  await page.selectOption('#arrange', 'circle');

  // Finger-drag links with the Link tool, between nodes found through the node list.
  const canvas = await page.locator('#stage').boundingBox();
  // Arranged on a circle around the canvas's middle, first at the top, clockwise.
  const stage = { x: canvas.x + canvas.width / 2, y: canvas.y + canvas.height / 2 };
  const radius = await circleRadius(page);
  const spot = (index) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * index) / 4;
    return { x: stage.x + radius * Math.cos(angle), y: stage.y + radius * Math.sin(angle) };
  };
  await tapToggle(page, '#link-tool', true);
  for (const [a, b] of [[0, 1], [1, 2], [2, 0], [3, 0]]) await drag(session, spot(a), spot(b));
  await tapToggle(page, '#link-tool', false);
  await waitUntil(page, 'the system runs once everything is linked', () => document.querySelector('[data-field="problem"]') === null);
  // A tap on empty canvas deselects; the System panel lists the links.
  await page.touchscreen.tap(canvas.x + 4, canvas.y + 4);
  await waitUntil(page, 'four links drawn by finger', () => document.querySelectorAll('.link-settings').length === 4);

  // Two fingers spread apart zoom in around their midpoint, by the ratio of their spread.
  await touch(session, 'touchStart', [{ x: stage.x - 40, y: stage.y }, { x: stage.x + 40, y: stage.y }]);
  for (let step = 1; step <= 4; step += 1) {
    await touch(session, 'touchMove', [{ x: stage.x - 40 - step * 5, y: stage.y }, { x: stage.x + 40 + step * 5, y: stage.y }]);
  }
  await touch(session, 'touchEnd', []);
  await new Promise((resolve) => setTimeout(resolve, 400));
  await waitUntil(page, 'the pinch added no node and no link', () => document.querySelectorAll('.node-button').length === 4 && document.querySelectorAll('.link-settings').length === 4);
  // r2 sat to the right of the middle; zoomed 1.5 times, it sits 1.5 times farther out.
  const zoomed = { x: stage.x + (spot(1).x - stage.x) * 1.5, y: stage.y + (spot(1).y - stage.y) * 1.5 };
  await page.touchscreen.tap(zoomed.x, zoomed.y);
  await waitUntil(page, 'a tap where r2 moved to selects it', () => document.querySelector('.inspector h2')?.textContent.startsWith('r2'));

  // Drag r2 somewhere else: a move keeps the run going, and r2 is where the finger left it.
  const moved = { x: zoomed.x - 60, y: zoomed.y + 50 };
  await drag(session, zoomed, moved);
  await page.touchscreen.tap(canvas.x + 4, canvas.y + 4);
  await waitUntil(page, 'a tap on empty canvas deselects', () => document.querySelector('.inspector h2')?.textContent === 'System');
  await page.touchscreen.tap(moved.x, moved.y);
  await waitUntil(page, 'r2 is found where it was dragged to', () => document.querySelector('.inspector h2')?.textContent.startsWith('r2'));

  // Break a replica from the inspector, then drag its fault along the lane.
  await page.locator('.node-button', { hasText: 'Replica r1,' }).tap();
  await page.getByRole('button', { name: /^Crash r1 for 3 seconds/ }).tap();
  await waitUntil(page, 'the crash is in the lane', () => document.querySelectorAll('.fault-mark').length === 1);
  const startBefore = Number(await page.locator('.fault-mark').getAttribute('data-at-ms'));
  const mark = await page.locator('.fault-mark').boundingBox();
  const lane = await page.locator('.fault-lane').boundingBox();
  await drag(session, { x: mark.x + 4, y: mark.y + mark.height / 2 }, { x: mark.x + 4 + lane.width * 0.1, y: mark.y + mark.height / 2 });
  await waitUntil(page, 'the crash moved about 3 s later', (start) => Math.abs(Number(document.querySelector('.fault-mark').dataset.atMs) - (start + 3000)) <= 100, startBefore);

  await page.screenshot({ path: await artifactPath('tablet.png'), fullPage: true });
  assert.deepEqual(errors, [], `the page logged errors:\n${errors.join('\n')}`);
  await context.close();
});

/**
 * The radius Arrange → Circle uses on a fresh blank canvas, whose view is unscaled: half
 * the canvas's smaller side less 60 px, and at least 100 px (the formula of `on_arrange`
 * in src/app.rs; the taps below fail if the two drift apart).
 */
async function circleRadius(page) {
  return page.evaluate(() => {
    const canvas = document.querySelector('#stage');
    return Math.max(100, Math.min(canvas.clientWidth, canvas.clientHeight) / 2 - 60);
  });
}
