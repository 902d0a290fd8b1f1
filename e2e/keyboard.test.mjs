// Keyboard only: a person who does not use a mouse picks a scenario, selects the leader
// from the node list, crashes it, watches a new leader get elected, and plays and pauses;
// and builds a system from a blank canvas: three replicas and a client, linked from the
// inspector, under the strict model, writes and reads, crashes the leader, cuts a
// replica off and heals everything.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { artifactPath, openSite, waitUntil } from './support.mjs';

let site;

before(async () => {
  site = await openSite();
});

after(async () => {
  await site?.close();
});

/** Presses Tab until the focused element matches `predicate(arg)` (at most 200 presses). */
async function tabTo(page, description, predicate, arg) {
  for (let presses = 0; presses < 200; presses += 1) {
    if (await page.evaluate(predicate, arg)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached ${description}`);
}

test('pick a scenario, crash the leader and see a new one elected, with the keyboard alone', async () => {
  const { page, errors } = site;
  await tabTo(page, 'the scenario picker', () => document.activeElement?.id === 'preset');
  // A keyboard user picks with the select's own keys; selectOption stands in for them on
  // the focused element (each pick remounts the playground, so arrow-stepping through
  // the options would lose focus after the first).
  await page.locator('#preset').selectOption('strict-password');
  await waitUntil(page, 'the strict preset shows', () => document.querySelector('.scenario-info h2')?.textContent.startsWith('Strict'));
  await waitUntil(page, 'a leader is elected', () => [...document.querySelectorAll('.node-button')].some((b) => / leader, up$/.test(b.textContent)));
  const leader = await page.evaluate(() => [...document.querySelectorAll('.node-button')].find((b) => / leader, up$/.test(b.textContent)).textContent);
  await tabTo(page, `the node button "${leader}"`, () => / leader, up$/.test(document.activeElement?.textContent ?? '') && document.activeElement.classList.contains('node-button'));
  await page.keyboard.press('Enter');
  await tabTo(page, 'the crash button', () => /^Crash .* for 3 seconds/.test(document.activeElement?.getAttribute('aria-label') ?? ''));
  await page.keyboard.press('Enter');
  await waitUntil(page, 'the crash is announced', () => / crashed for 3\.0 s at /.test(document.querySelector('[data-field="announcement"]').textContent));
  const crashed = leader.split(' ')[1].replace(',', '');
  await waitUntil(page, 'another replica becomes leader', (name) => [...document.querySelectorAll('.node-button')].some((b) => / leader, up$/.test(b.textContent) && !b.textContent.includes(` ${name},`)), crashed, 30_000);
  // Space pauses and plays when focus is not on a control.
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press(' ');
  await waitUntil(page, 'Space pauses', () => document.querySelector('#play').textContent === 'Play');
  await page.keyboard.press(' ');
  await waitUntil(page, 'Space plays again', () => document.querySelector('#play').textContent === 'Pause');
  await page.screenshot({ path: await artifactPath('keyboard.png') });
  assert.deepEqual(errors, [], `the page logged errors:\n${errors.join('\n')}`);
});

/** Presses Tab until the focused element matches the selector and text, then Enter. */
async function activate(page, description, selector, text = '') {
  await tabTo(page, description, ([css, label]) => document.activeElement?.matches(css) && (document.activeElement.getAttribute('aria-label') ?? document.activeElement.textContent).includes(label), [selector, text]);
  await page.keyboard.press('Enter');
}

test('build from a blank canvas and break it, with the keyboard alone', async () => {
  const { page, errors } = site;
  await tabTo(page, 'the scenario picker', () => document.activeElement?.id === 'preset');
  await page.locator('#preset').selectOption('empty');
  await waitUntil(page, 'the blank canvas shows', () => document.querySelector('.node-list .hint') !== null);
  await tabTo(page, 'the + Replica button', () => document.activeElement?.id === 'add-replica');
  for (let count = 1; count <= 3; count += 1) {
    await page.keyboard.press('Enter');
    await waitUntil(page, `${count} replicas are listed`, (n) => document.querySelectorAll('.node-button').length === n, count);
  }
  await tabTo(page, 'the + Client button', () => document.activeElement?.id === 'add-client');
  await page.keyboard.press('Enter');
  await waitUntil(page, 'the client is listed', () => [...document.querySelectorAll('.node-button')].some((b) => b.textContent.startsWith('Client c1')));

  // Link the replicas in a triangle and the client to r1, from each node's inspector.
  for (const [from, to] of [['r1', 'r2'], ['r2', 'r3'], ['r3', 'r1'], ['c1', 'r1']]) {
    await tabTo(page, `the node button of ${from}`, (name) => document.activeElement?.classList.contains('node-button') && document.activeElement.textContent.includes(` ${name},`), from);
    await page.keyboard.press('Enter');
    await tabTo(page, 'the Link to list', () => document.activeElement?.id === 'link-to');
    await page.locator('#link-to').selectOption({ label: to });
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await waitUntil(page, `${from} is no longer offered ${to}`, (name) => ![...document.querySelectorAll('#link-to option')].some((o) => o.textContent === name), to);
  }
  await waitUntil(page, 'the system is runnable', () => document.querySelector('[data-field="problem"]') === null);

  // The strict model, at full speed.
  await tabTo(page, 'the model picker', () => document.activeElement?.id === 'model');
  await page.locator('#model').selectOption('strict');
  await tabTo(page, 'the speed picker', () => document.activeElement?.id === 'speed');
  await page.locator('#speed').selectOption('1');
  await activate(page, 'the Play button', '#play', 'Play');
  await waitUntil(page, 'a leader is elected', () => [...document.querySelectorAll('.node-button')].some((b) => / leader, up$/.test(b.textContent)), undefined, 30_000);

  // Write and read from the client.
  await tabTo(page, 'the node button of c1', () => document.activeElement?.classList.contains('node-button') && document.activeElement.textContent.startsWith('Client c1'));
  await page.keyboard.press('Enter');
  // Its own workload off, so nothing but our write changes x.
  await tabTo(page, 'the workload switch', () => document.activeElement?.id === 'workload-switch');
  await page.keyboard.press(' ');
  await waitUntil(page, 'the workload is off', () => document.querySelector('#workload-switch')?.checked === false);
  await activate(page, 'the Play button', '#play', 'Play');
  await tabTo(page, 'the key field', () => document.activeElement?.id === 'op-key');
  await page.keyboard.type('x');
  await page.keyboard.press('Tab');
  await page.keyboard.type('9');
  await activate(page, 'the Write button', '#op-write', 'Write');
  await waitUntil(page, 'the write completes', () => [...document.querySelectorAll('.recent-ops li')].some((li) => li.textContent.includes('w x=9') && li.textContent.includes('ok')), undefined, 30_000);
  await waitUntil(page, 'the client is free again', () => !document.querySelector('#op-read').disabled);
  await activate(page, 'the Read button', '#op-read', 'Read');
  await waitUntil(page, 'the read returns 9', () => [...document.querySelectorAll('.recent-ops li')].some((li) => li.textContent.includes('r x→9')), undefined, 30_000);

  // Crash the leader; another replica takes over.
  const leader = await page.evaluate(() => [...document.querySelectorAll('.node-button')].find((b) => / leader, up$/.test(b.textContent)).textContent.split(' ')[1].replace(',', ''));
  await tabTo(page, `the node button of ${leader}`, (name) => document.activeElement?.classList.contains('node-button') && document.activeElement.textContent.startsWith(`Replica ${name},`), leader);
  await page.keyboard.press('Enter');
  await activate(page, 'the crash button', 'button', `Crash ${leader} for 3 seconds`);
  await waitUntil(page, 'the crash is announced', (name) => new RegExp(`^${name} crashed for 3\\.0 s at `).test(document.querySelector('[data-field="announcement"]').textContent), leader);
  await waitUntil(page, 'another replica becomes leader', (name) => [...document.querySelectorAll('.node-button')].some((b) => / leader, up$/.test(b.textContent) && !b.textContent.includes(` ${name},`)), leader, 30_000);

  // Cut a replica off from the rest, then heal everything.
  await tabTo(page, 'the node button of r3', () => document.activeElement?.classList.contains('node-button') && document.activeElement.textContent.startsWith('Replica r3,'));
  await page.keyboard.press('Enter');
  await activate(page, 'the Isolate button', 'button', 'Isolate r3');
  await waitUntil(page, 'the partition is announced', () => /^the network split into \{r3\} and the rest for 3\.0 s at /.test(document.querySelector('[data-field="announcement"]').textContent));
  await activate(page, 'Heal all', '#heal-all', 'Heal all');
  await waitUntil(page, 'healing is announced', () => /^every fault healed at /.test(document.querySelector('[data-field="announcement"]').textContent));
  await page.screenshot({ path: await artifactPath('keyboard-from-scratch.png') });

  // Delete on a focused node button removes that node.
  await tabTo(page, 'the node button of r3', () => document.activeElement?.classList.contains('node-button') && document.activeElement.textContent.startsWith('Replica r3,'));
  await page.keyboard.press('Delete');
  await waitUntil(page, 'r3 is gone', () => ![...document.querySelectorAll('.node-button')].some((b) => b.textContent.startsWith('Replica r3,')) && document.querySelectorAll('.node-button').length === 3);
  assert.deepEqual(errors, [], `the page logged errors:\n${errors.join('\n')}`);
});
