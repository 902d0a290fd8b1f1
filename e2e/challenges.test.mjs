// Design challenges: the index lists every challenge file; a challenge opens with its
// story, requirements and starting design; a student builds the reference design through
// the UI (replicas added, linked with the inspector's Link to), evaluates it in the
// worker with a progress bar, and reads a scorecard equal to `dsplay challenge --json`
// for the same design; the naive start misses fault tolerance, its worst seed loads into
// the playground, the trade-off view lists both attempts and restores one; a design
// breaking the constraints is refused with the problems named; a share link carries the
// challenge and the design, so a teacher re-grades it; an embedded challenge shows its
// card; a bad challenge address says why.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { artifactPath, collectErrors, startSite, waitUntil } from './support.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = process.env.DSPLAY_CLI ?? path.join(ROOT, 'target', 'debug', 'dsplay');
const CHALLENGE_IDS = readdirSync(path.join(ROOT, 'challenges'))
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

async function newPage(query, viewport = { width: 1400, height: 900 }) {
  const page = await site.browser.newPage({ viewport });
  const errors = collectErrors(page);
  await page.goto(site.url + query);
  return { page, errors };
}

/** The scorecard as the page shows it: one { characteristic, met, figure, threshold } per row. */
async function scorecardRows(page) {
  return page.$$eval('.scorecard-row', (rows) =>
    rows.map((row) => ({
      characteristic: row.dataset.characteristic,
      met: row.classList.contains('met'),
      figure: row.querySelector('[data-field="figure"]').textContent,
      threshold: row.querySelector('[data-field="threshold"]').textContent,
    })),
  );
}

/** `dsplay challenge --json` on the design, rows in the page's form. */
function cliRows(id, label, design) {
  const file = path.join(fileURLToPath(new URL('./artifacts/', import.meta.url)), `${id}-${label}-design.json`);
  writeFileSync(file, JSON.stringify(design));
  let output;
  try {
    output = execFileSync(CLI, ['challenge', path.join(ROOT, 'challenges', `${id}.json`), '--design', file, '--json'], { encoding: 'utf8' });
  } catch (error) {
    output = error.stdout; // status 1: a requirement missed
  }
  const scorecard = JSON.parse(output);
  const names = { consistency: 'Consistency', fault_tolerance: 'FaultTolerance' };
  return scorecard.rows.map((row) => ({
    characteristic: names[row.characteristic] ?? row.characteristic,
    met: row.met,
    figure: row.figure,
    threshold: row.threshold,
  }));
}

async function evaluate(page) {
  await page.click('#evaluate');
  await waitUntil(page, 'the evaluation shows its progress or ends', () =>
    document.querySelector('#challenge-progress') !== null || document.querySelector('[data-field="scorecard"], [data-field="challenge-refused"]') !== null);
  await waitUntil(page, 'the scorecard appears', () =>
    document.querySelector('[data-field="scorecard"], [data-field="challenge-refused"]') !== null && document.querySelector('#challenge-progress') === null, undefined, 60_000);
}

async function selectNode(page, name) {
  await page.locator('.node-button', { hasText: new RegExp(`^(Replica|Client) ${name},`) }).click();
  await waitUntil(page, `${name} is selected`, () => document.querySelector('#link-to') !== null);
}

async function link(page, from, to) {
  await selectNode(page, from);
  await page.locator('#link-to').selectOption({ label: to });
  await page.click('#link-to-button');
  await waitUntil(page, `${from} is linked to ${to}: it is no longer offered`, (name) =>
    ![...document.querySelectorAll('#link-to option')].some((option) => option.textContent === name), to);
}

test('the index lists every challenge by characteristic and leads into one', async () => {
  const { page, errors } = await newPage('?challenges');
  await waitUntil(page, 'the index renders', () => document.querySelectorAll('[data-challenge]').length > 0);
  const listed = (await page.$$eval('[data-challenge]', (items) => items.map((item) => item.dataset.challenge))).sort();
  assert.deepEqual(listed, CHALLENGE_IDS);
  const groups = await page.$$eval('.lessons-group h3', (headings) => headings.map((h) => h.textContent));
  assert.deepEqual(groups, ['Consistency', 'Availability', 'Reliability', 'Latency', 'Scalability', 'Fault tolerance', 'Maintainability']);
  await page.click('[data-challenge="password-service"] a');
  await waitUntil(page, 'the challenge opens', () => document.querySelector('[data-field="challenge-title"]')?.textContent.startsWith('A password service'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('build the reference design through the UI, evaluate it, read the scorecard; the naive start misses fault tolerance', async () => {
  const { page, errors } = await newPage('?challenge=password-service');
  await waitUntil(page, 'the challenge opens ready', () => document.querySelector('[data-field="design-ready"]') !== null);
  assert.equal(await page.locator('#add-client').count(), 0, 'the clients are fixed');
  const requirements = await page.locator('[data-field="requirements"] li').allTextContents();
  assert.equal(requirements.length, 2);
  assert.match(requirements[1], /^Fault tolerance: With 1 replica crashed at once/);

  // The starting design, one server, evaluated as it is: fault tolerance missed.
  await evaluate(page);
  const naive = await scorecardRows(page);
  assert.deepEqual(naive, cliRows('password-service', 'start', {
    protocol: { kind: 'strict' },
    replicas: [{ id: 'db', x: 400, y: 280 }],
    links: [['alice', 'db'], ['helpdesk', 'db'], ['login', 'db']],
  }));
  assert.deepEqual(naive.map((row) => row.met), [true, false]);
  assert.equal(naive[1].figure, 'survives 0 crashes');

  // Its worst seed loads into the playground, paused, with what it shows.
  await page.click('.show-worst');
  await waitUntil(page, 'the worst seed is shown', () => /^Showing seed \d+ of the fault tolerance miss/.test(document.querySelector('[data-field="challenge-showing"]')?.textContent ?? ''));
  await waitUntil(page, 'the run is paused', () => /paused/.test(document.querySelector('.status-bar')?.textContent ?? ''));
  assert.match(await page.locator('.timeline, .fault-lane').first().textContent().catch(() => ''), /./);

  // Back to the design (the trade-off view's Restore), then two more replicas, linked
  // pairwise, and every client given a second replica.
  await page.click('.restore-attempt');
  await waitUntil(page, 'the design is back', () => document.querySelector('[data-field="challenge-showing"]') === null && document.querySelector('[data-field="design-ready"]') !== null);
  await page.click('#add-replica');
  await page.click('#add-replica');
  await waitUntil(page, 'three replicas', () => [...document.querySelectorAll('.node-button')].filter((b) => b.textContent.startsWith('Replica')).length === 3);
  await waitUntil(page, 'the new replicas need links', () => /Ready to evaluate/.test(document.querySelector('.challenge-step')?.parentElement.textContent ?? ''));
  for (const [a, b] of [['db', 'r1'], ['r1', 'r2'], ['db', 'r2'], ['alice', 'r1'], ['helpdesk', 'r2'], ['login', 'r1']]) {
    await link(page, a, b);
  }
  await waitUntil(page, 'the design is ready', () => /strict · 3 replicas · 9 links/.test(document.querySelector('[data-field="design-ready"]')?.textContent ?? ''));
  await evaluate(page);
  const reference = await scorecardRows(page);
  assert.deepEqual(reference, cliRows('password-service', 'reference', {
    protocol: { kind: 'strict' },
    replicas: [{ id: 'db', x: 0, y: 0 }, { id: 'r1', x: 0, y: 0 }, { id: 'r2', x: 0, y: 0 }],
    links: [['alice', 'db'], ['helpdesk', 'db'], ['login', 'db'], ['db', 'r1'], ['r1', 'r2'], ['db', 'r2'], ['alice', 'r1'], ['helpdesk', 'r2'], ['login', 'r1']],
  }));
  assert.deepEqual(reference.map((row) => row.met), [true, true]);
  assert.match(await page.locator('[data-field="scorecard-summary"]').textContent(), /^Every requirement met/);

  // The trade-off view compares the two attempts, newest first.
  const attempts = await page.$$eval('[data-field="attempts"] tbody tr', (rows) => rows.map((row) => [...row.cells].map((cell) => cell.textContent)));
  assert.equal(attempts.length, 2);
  assert.deepEqual(attempts.map((row) => row[0]), ['2', '1']);
  assert.match(attempts[0][3], /^✓ survives 1 crash/);
  assert.match(attempts[1][3], /^✗ survives 0 crashes/);
  await page.screenshot({ path: await artifactPath('challenge-scorecard.png'), fullPage: true });

  // A share link carries the challenge and the design: a teacher opens it and re-grades.
  await page.click('#share');
  await waitUntil(page, 'the link is made', () => document.querySelector('#share-link') !== null);
  const shared = await page.locator('#share-link').inputValue();
  assert.match(shared, /\?challenge=password-service.*#/);
  const teacher = await newPage(shared.slice(site.url.length));
  await waitUntil(teacher.page, 'the student design opens', () => /strict · 3 replicas · 9 links/.test(document.querySelector('[data-field="design-ready"]')?.textContent ?? ''));
  await evaluate(teacher.page);
  assert.deepEqual(await scorecardRows(teacher.page), reference);
  assert.deepEqual(teacher.errors, []);
  await teacher.page.close();

  // Restoring the first attempt puts the one server back.
  await page.locator('.restore-attempt').nth(1).click();
  await waitUntil(page, 'one replica again', () => /strict · 1 replica · 3 links/.test(document.querySelector('[data-field="design-ready"]')?.textContent ?? ''));

  // The design is saved in the browser under the challenge: a reload reopens it.
  // (A reload would reopen the shared link in the address bar: open the bare address.)
  await page.waitForTimeout(1_500);
  await page.goto(site.url + '?challenge=password-service');
  await waitUntil(page, 'the saved design reopens', () => /strict · 1 replica · 3 links/.test(document.querySelector('[data-field="design-ready"]')?.textContent ?? ''));
  assert.equal(await page.evaluate(() => localStorage.getItem('dsplay.autosave')), null, 'the playground\'s own work is left alone');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a design that breaks the constraints is named as it is built and refused when evaluated', async () => {
  const { page, errors } = await newPage('?challenge=password-service');
  await waitUntil(page, 'the challenge opens', () => document.querySelector('[data-field="design-ready"]') !== null);
  for (let n = 0; n < 5; n += 1) await page.click('#add-replica');
  await waitUntil(page, 'the problems are named', () => /must have 1 to 5 replicas; it has 6/.test(document.querySelector('[data-field="design-problems"]')?.textContent ?? ''));
  await page.selectOption('#challenge-model', 'bft');
  await waitUntil(page, 'the model changed', () => document.querySelector('#model')?.value === 'bft');
  await evaluate(page);
  const refused = await page.locator('[data-field="challenge-refused"]').textContent();
  assert.match(refused, /must have 1 to 5 replicas; it has 6/);
  assert.equal(await page.locator('[data-field="attempts"]').count(), 0, 'a refused design is no attempt');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a challenge with regions draws them and grades availability under partition', async () => {
  const { page, errors } = await newPage('?challenge=dns-directory');
  await waitUntil(page, 'the challenge opens', () => document.querySelector('[data-field="design-ready"]') !== null);
  // The starting design is strict, but the live verdict judges what the challenge grades.
  await waitUntil(page, 'the verdict judges eventual consistency', () => /Eventual/i.test(document.querySelector('.status-bar')?.textContent ?? ''));
  await evaluate(page);
  const rows = await scorecardRows(page);
  assert.equal(rows[0].characteristic, 'Availability');
  assert.equal(rows[0].met, false);
  assert.match(rows[0].figure, /nines/);
  await page.screenshot({ path: await artifactPath('challenge-regions.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('an embedded challenge shows its card, and a bad challenge address says why', async () => {
  const { page, errors } = await newPage('?embed&challenge=news-feed', { width: 640, height: 420 });
  await waitUntil(page, 'the card shows', () => document.querySelector('.challenge-card') !== null);
  assert.match(await page.locator('#take-challenge').getAttribute('href'), /\?challenge=news-feed$/);
  assert.deepEqual(errors, []);
  await page.goto(site.url + '?challenge=moon-base');
  await waitUntil(page, 'the banner says why', () => /no challenge called "moon-base"/.test(document.querySelector('[role="alert"]')?.textContent ?? ''));
  assert.equal(await page.locator('[data-field="challenge-title"]').count(), 0);
  await page.close();
});
