// Adds a Content-Security-Policy to the built page (`cargo xtask dist` and `test` run this
// after Trunk): the page may run only its own scripts and WebAssembly, start only its own
// worker, and fetch only its own files. Trunk's start-up script is inline, so it is
// allowed by its SHA-256 hash, computed here from the built file.
//
// Usage: node xtask/csp.mjs DIST_DIR

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const dist = process.argv[2];
if (!dist) {
  console.error('usage: node xtask/csp.mjs DIST_DIR');
  process.exit(2);
}
const file = path.join(dist, 'index.html');
let html = readFileSync(file, 'utf8');
html = html.replace(/\s*<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
const hashes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)]
  .map(([, body]) => `'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
const policy = [
  "default-src 'self'",
  `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(' ')}`.trim(),
  "style-src 'self'",
  // Positions and colours the page computes (the fault lane, the legend) are style
  // attributes; no style element or sheet can come from anywhere else.
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
const meta = `<meta http-equiv="Content-Security-Policy" content="${policy}" />`;
if (!/<meta charset="utf-8" \/>/.test(html)) {
  console.error(`${file}: no <meta charset="utf-8" /> to put the policy after`);
  process.exit(1);
}
html = html.replace('<meta charset="utf-8" />', `<meta charset="utf-8" />\n    ${meta}`);
writeFileSync(file, html);
console.log(`${file}: Content-Security-Policy with ${hashes.length} inline script hash(es)`);
