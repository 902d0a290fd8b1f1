// Shared helpers for the end-to-end tests: a static server for the built site, the
// system Chromium driven by playwright-core, and collection of console errors.
//
// The tests run against the release build in $DSPLAY_DIST (`cargo xtask test` builds it
// and sets the variable), served from 127.0.0.1 on a free port so runs never collide.

import { mkdir, readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** Debian's Chromium; Playwright never downloads a browser of its own here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags for running headless as root in a container: root cannot use the sandbox,
 * /dev/shm is small in containers, and the rest stop background traffic that would
 * only fail without internet. Playwright adds a fresh temporary --user-data-dir itself.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Screenshots land here; the directory is gitignored. */
export const ARTIFACTS_DIR = fileURLToPath(new URL('./artifacts/', import.meta.url));

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** The built site to test: $DSPLAY_DIST, which must hold an index.html. */
export async function distDir() {
  const dist = process.env.DSPLAY_DIST;
  if (!dist) {
    throw new Error('DSPLAY_DIST is not set; run `cargo xtask test`, or build with trunk and set it to dist/');
  }
  const indexPath = path.join(dist, 'index.html');
  const found = await stat(indexPath).catch(() => null);
  if (!found?.isFile()) {
    throw new Error(`DSPLAY_DIST=${dist} has no index.html; run \`trunk build --release\` first`);
  }
  return path.resolve(dist);
}

/**
 * Serves the files under `rootDir` on 127.0.0.1 at a free port.
 * Returns the base URL and a `close` that also drops keep-alive connections.
 */
export async function startServer(rootDir) {
  const server = http.createServer((request, response) => {
    serveFile(rootDir, request, response).catch((error) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(String(error));
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${port}/`, close };
}

async function serveFile(rootDir, request, response) {
  let urlPath = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
  if (urlPath.endsWith('/')) urlPath += 'index.html';
  const filePath = path.join(rootDir, urlPath);
  // path.join resolves `..`, so anything outside the root is a request to refuse.
  if (!filePath.startsWith(rootDir + path.sep)) {
    response.writeHead(403, { 'content-type': 'text/plain' });
    response.end('forbidden');
    return;
  }
  const body = await readFile(filePath).catch(() => null);
  if (body === null) {
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found');
    return;
  }
  const mimeType = MIME_TYPES[path.extname(filePath)] ?? 'application/octet-stream';
  response.writeHead(200, { 'content-type': mimeType, 'cache-control': 'no-store' });
  response.end(body);
}

/** Launches the system Chromium headless. */
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * Records every `console.error` and uncaught page exception as a line of text, so a
 * test can assert at its end that the page stayed clean.
 */
export function collectErrors(page) {
  const errors = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // Chromium's "Failed to load resource" omits the URL; the location carries it.
    const source = message.location().url;
    errors.push(`console.error: ${message.text()}${source ? ` (${source})` : ''}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return errors;
}

/**
 * Serves the built site and launches Chromium, for tests that open their own pages or
 * browser contexts. Returns `{ url, browser, close }`; `close` shuts both.
 */
export async function startSite() {
  const server = await startServer(await distDir());
  const browser = await launchBrowser().catch(async (error) => {
    await server.close();
    throw error;
  });
  const close = async () => {
    await browser.close();
    await server.close();
  };
  return { url: server.url, browser, close };
}

/**
 * Serves the built site, launches Chromium and opens the page.
 * Returns `{ page, errors, close }`; `close` shuts the browser and the server.
 */
export async function openSite() {
  const { url, browser, close } = await startSite();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = collectErrors(page);
    await page.goto(url);
    return { page, errors, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The text of the page's status bar, for failure messages. */
export async function statusText(page) {
  const text = await page
    .locator('[role="status"]')
    .first()
    .textContent({ timeout: 1000 })
    .catch(() => null);
  return text === null ? '<no [role="status"] element>' : JSON.stringify(text.replace(/\s+/g, ' ').trim());
}

/**
 * Polls `predicate(arg)` in the page until it is truthy. On timeout, saves a screenshot
 * and fails with `description` and the status bar's text.
 */
export async function waitUntil(page, description, predicate, arg, timeout_ms = 15_000) {
  try {
    await page.waitForFunction(predicate, arg, { timeout: timeout_ms, polling: 50 });
  } catch (error) {
    const screenshotPath = await saveFailureScreenshot(page);
    throw new Error(
      `timed out after ${timeout_ms} ms waiting until ${description}; ` +
        `status bar: ${await statusText(page)}; screenshot: ${screenshotPath}`,
      { cause: error },
    );
  }
}

/** The path for a screenshot named `name` in the artifacts directory, created on demand. */
export async function artifactPath(name) {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return path.join(ARTIFACTS_DIR, name);
}

async function saveFailureScreenshot(page) {
  const screenshotPath = await artifactPath(`failure-${Date.now()}.png`);
  return page
    .screenshot({ path: screenshotPath, fullPage: true })
    .then(() => screenshotPath)
    .catch((error) => `<not saved: ${error.message}>`);
}
