// Bundles the console (docs/console.md) into the folder Maven puts on the classpath: index.html, and
// app.js and app.css with uPlot from node_modules inside, so nothing is fetched at run time.
// Usage: node build.mjs <output folder>
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node build.mjs <output folder>');
  process.exit(2);
}
await mkdir(out, { recursive: true });
await build({
  entryPoints: { app: join(here, 'main.js') },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2022'],
  outdir: out,
  legalComments: 'eof',
  logLevel: 'warning',
});
await copyFile(join(here, 'index.html'), join(out, 'index.html'));
