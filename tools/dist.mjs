// `make dist`: the deployable static site in dist/, and the notebook widget's files in python/.
//
//   node tools/dist.mjs            build dist/ from the repository (after `make wasm`)
//   node tools/dist.mjs --seal DIR write DIR/sw.js again for DIR's files as they are now
//   node tools/dist.mjs --vendor   only copy reveal.js into www/vendor/ (for `make serve`)
//   node tools/dist.mjs --widget   only write the notebook widget's files again, from dist/
//
// dist/ mirrors the files the repository serves (index.html, tour.html when it exists, sw.js,
// www/… with the examples and the worker), with
//   - the WebAssembly optimised by binaryen's wasm-opt (npm's `binaryen`: wasm-opt compiled to
//     JavaScript, run by Node; the SIMD and other features rustc enables are passed on);
//   - reveal.js from npm in www/vendor/ (also copied into the repository's ignored www/vendor/,
//     so that `make serve` shows the slides example);
//   - sw.js carrying the build's id (a hash of every file) and each file's SHA-256, so that the
//     service worker caches exactly this build and replaces the previous one (see sw.js).
// The notebook widget (python/src/nqm_explorer/static/, ignored) gets one ES module (the
// wasm-bindgen glue, the page's controls and python/js/widget.js), the optimised WebAssembly and
// the schema, panels and version read from that WebAssembly: the Python package holds no second
// copy of any of them.

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const TOOLS = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(TOOLS, '..');
const DIST = path.join(ROOT, 'dist');
const PKG = path.join(ROOT, 'www/pkg');
const PY = path.join(ROOT, 'python/src/nqm_explorer');

// The features rustc's wasm32 target enables (its generic CPU, plus +simd128 from
// .cargo/config.toml): wasm-opt must keep them all, or it refuses the module.
const WASM_FEATURES = [
  '--enable-simd', '--enable-bulk-memory', '--enable-nontrapping-float-to-int',
  '--enable-sign-ext', '--enable-mutable-globals', '--enable-multivalue', '--enable-reference-types',
];
const WASM_OPT_FLAGS = ['-O3', '--strip-debug', '--strip-producers', ...WASM_FEATURES];

const REVEAL_FILES = ['dist/reveal.mjs', 'dist/reveal.css', 'dist/theme/white.css', 'LICENSE'];

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** Every file under `dir`, as paths relative to it with '/' separators, sorted. */
function walk(dir, rel = '') {
  const out = [];
  for (const name of readdirSync(path.join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(path.join(dir, r)).isDirectory()) out.push(...walk(dir, r));
    else out.push(r);
  }
  return out;
}

/** Copies reveal.js's files from npm into `dest` (a www/vendor folder). */
function vendorReveal(dest) {
  const from = path.join(TOOLS, 'node_modules/reveal.js');
  if (!existsSync(from)) throw new Error('tools/node_modules/reveal.js is missing: run `make dist-deps`');
  for (const f of REVEAL_FILES) {
    const to = path.join(dest, 'reveal.js', path.basename(f));
    mkdirSync(path.dirname(to), { recursive: true });
    cpSync(path.join(from, f), to);
  }
}

/** Writes `dir`/sw.js from the repository's sw.js with the build of `dir`'s files. */
export function seal(dir, version) {
  const files = {};
  for (const f of walk(dir)) if (f !== 'sw.js') files[f] = sha256(readFileSync(path.join(dir, f)));
  const template = readFileSync(path.join(ROOT, 'sw.js'), 'utf8');
  const id = sha256(Object.entries(files).map(([f, h]) => `${h}  ${f}\n`).join('') + template).slice(0, 16);
  const marker = /^const BUILD = null;.*$/m;
  if (!marker.test(template)) throw new Error('sw.js has no `const BUILD = null;` line to fill in');
  const build = JSON.stringify({ id, version, files }, null, 1);
  writeFileSync(path.join(dir, 'sw.js'), template.replace(marker, () => `const BUILD = ${build};`));
  return { id, files: Object.keys(files).length };
}

/** The wasm-bindgen glue with its exports removed, to be one part of a bundle. */
function unexported(js, what) {
  let n = 0;
  const out = js
    .replace(/^export default [^;\n]+;\n?/m, () => { n++; return ''; })
    .replace(/^export \{[^}]*\};?\n?/gm, (m) => { if (/ as default\b/.test(m)) n++; return ''; })
    .replace(/^export (async function|function|class|const|let) /gm, '$1 ')
    .replace(/^import [^;]+ from '[^']+';\n/gm, '');
  if (what === 'glue' && n !== 1) throw new Error('the wasm-bindgen glue has no `export default`');
  return out;
}

/** The notebook widget's files: one ES module, the WebAssembly, the schema and the version. */
function widget(wasm, info) {
  const glue = readFileSync(path.join(PKG, 'nqm_explorer.js'), 'utf8');
  const controls = readFileSync(path.join(ROOT, 'www/controls.js'), 'utf8');
  const own = readFileSync(path.join(ROOT, 'python/js/widget.js'), 'utf8');
  const bundle = [
    `// nqm-explorer ${info.version}: the notebook widget (generated by make dist; do not edit).`,
    '// wasm-bindgen glue', unexported(glue, 'glue'),
    '// www/controls.js', unexported(controls, 'controls'),
    '// python/js/widget.js', own.replace(/^import [^;]+ from '[^']+';\n/gm, ''),
  ].join('\n');
  const out = path.join(PY, 'static');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'widget.mjs'), bundle);
  cpSync(path.join(ROOT, 'python/js/widget.css'), path.join(out, 'widget.css'));
  writeFileSync(path.join(out, 'nqm_explorer_bg.wasm'), wasm);
  writeFileSync(path.join(out, 'schema.json'), JSON.stringify(info, null, 1));
  writeFileSync(path.join(PY, '_version.py'),
    `# Generated by make dist from Cargo.toml's version (through the WebAssembly); do not edit.\n__version__ = ${JSON.stringify(info.version)}\n`);
}

/** Version, fields and panels, read from the WebAssembly by its own glue. */
async function readSchema(dir) {
  const m = await import(pathToFileURL(path.join(dir, 'nqm_explorer.js')).href);
  m.initSync({ module: readFileSync(path.join(dir, 'nqm_explorer_bg.wasm')) });
  return { version: m.version(), fields: JSON.parse(m.schema()), panels: JSON.parse(m.panels_json()) };
}

function sizes(buf) {
  return { raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length };
}

async function build() {
  for (const f of ['nqm_explorer.js', 'nqm_explorer_bg.wasm']) {
    if (!existsSync(path.join(PKG, f))) throw new Error(`www/pkg/${f} is missing: run \`make wasm\``);
  }
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST);
  // The served files, as the repository serves them.
  for (const f of ['index.html', 'tour.html', 'sw.js']) {
    if (existsSync(path.join(ROOT, f))) cpSync(path.join(ROOT, f), path.join(DIST, f));
  }
  cpSync(path.join(ROOT, 'www'), path.join(DIST, 'www'), {
    recursive: true,
    filter: (src) => !['pkg', 'vendor'].includes(path.relative(path.join(ROOT, 'www'), src)),
  });
  vendorReveal(path.join(ROOT, 'www/vendor'));
  vendorReveal(path.join(DIST, 'www/vendor'));
  // The WebAssembly, optimised.
  const pkg = path.join(DIST, 'www/pkg');
  mkdirSync(pkg, { recursive: true });
  cpSync(path.join(PKG, 'nqm_explorer.js'), path.join(pkg, 'nqm_explorer.js'));
  const wasmIn = path.join(PKG, 'nqm_explorer_bg.wasm');
  const wasmOut = path.join(pkg, 'nqm_explorer_bg.wasm');
  const t0 = Date.now();
  execFileSync(process.execPath, [path.join(TOOLS, 'node_modules/binaryen/bin/wasm-opt'),
    ...WASM_OPT_FLAGS, wasmIn, '-o', wasmOut], { stdio: 'inherit' });
  const seconds = (Date.now() - t0) / 1000;
  const before = sizes(readFileSync(wasmIn));
  const after = sizes(readFileSync(wasmOut));
  if (after.raw > 0.9 * before.raw) {
    throw new Error(`wasm-opt gave ${after.raw} bytes, more than 90 % of wasm-bindgen's ${before.raw}`);
  }
  // The optimised module must load and answer; its schema and version feed the widget.
  const info = await readSchema(pkg);
  const built = seal(DIST, info.version);
  widget(readFileSync(wasmOut), info);
  const pct = (a, b) => `${((100 * a) / b).toFixed(1)} %`;
  console.log(`dist/: nqm-explorer ${info.version}, build ${built.id}, ${built.files} files (+ sw.js)`);
  console.log(`  WebAssembly, wasm-bindgen: ${before.raw} bytes, ${before.gzip} gzipped`);
  console.log(`  WebAssembly, wasm-opt ${WASM_OPT_FLAGS.slice(0, 1).join(' ')}: ${after.raw} bytes (${pct(after.raw, before.raw)}), ` +
    `${after.gzip} gzipped (${pct(after.gzip, before.gzip)}); wasm-opt took ${seconds.toFixed(1)} s`);
  console.log('python/src/nqm_explorer/static/: the notebook widget (pip install ./python)');
}

const args = process.argv.slice(2);
if (args[0] === '--widget') {
  const pkg = path.join(DIST, 'www/pkg');
  widget(readFileSync(path.join(pkg, 'nqm_explorer_bg.wasm')), await readSchema(pkg));
} else if (args[0] === '--vendor') {
  vendorReveal(path.join(ROOT, 'www/vendor'));
} else if (args[0] === '--seal') {
  const dir = path.resolve(args[1]);
  const info = await readSchema(path.join(dir, 'www/pkg'));
  console.log(seal(dir, info.version));
} else if (args.length === 0) {
  await build();
} else {
  throw new Error(`unknown arguments ${args.join(' ')}: see the top of tools/dist.mjs`);
}
