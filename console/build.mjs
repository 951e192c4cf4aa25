// Builds the console: bundles src/ with esbuild (one module per page, loaded when the page opens), writes the
// files to --out, and with --cpp writes them as a C++ source for the keel binary (src/console/console_assets.hpp),
// each with its gzip form and its ETag, so Keel serves them with no files beside it.
//
//   node build.mjs --out DIR [--cpp FILE] [--report]
//
// --report prints what each page ships (JavaScript and CSS, raw and gzip): the console's size budget; the same
// figures go to sizes.json in --out (which the server does not serve: it serves what manifest.json lists).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const fail = (message) => {
  console.error(`console/build.mjs: ${message}`);
  process.exit(1);
};
const out = resolve(option('--out') ?? join(here, 'dist'));
const cpp = option('--cpp');
// --out is emptied first: never the sources or a folder holding them.
if ((here + sep).startsWith(out + sep) || out.startsWith(join(here, 'src') + sep))
  fail(`--out ${out} holds the console's sources; give a folder of its own`);
const esbuild = await import('esbuild').catch(() =>
  fail('esbuild is not installed: run scripts/install-deps.sh (it runs npm ci in console/)'));

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: [join(here, 'src/main.jsx')],
  bundle: true,
  splitting: true,
  format: 'esm',
  // Browsers with CSS light-dark() (the colour schemes).
  target: ['chrome123', 'firefox120', 'safari17.5'],
  minify: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  outdir: join(out, 'assets'),
  metafile: true,
  write: false,
  // The bundled packages' licenses ship whole in one file (below), so their comments can go.
  legalComments: 'none',
  logLevel: 'warning',
});

// Every file as the server serves it: its URL path, type, bytes.
const files = [];
const typeOf = (path) =>
  ({ '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml',
     '.txt': 'text/plain; charset=utf-8', '.html': 'text/html; charset=utf-8' })[path.match(/\.[a-z]+$/)?.[0]] ??
  'application/octet-stream';
for (const file of result.outputFiles) {
  const path = '/assets/' + relative(join(out, 'assets'), file.path);
  files.push({ path, type: typeOf(path), bytes: Buffer.from(file.contents) });
}

const assetPath = (outputPath) => '/assets/' + relative(join(out, 'assets'), join(here, outputPath));
const outputs = result.metafile.outputs;
const [entryName, entry] = Object.entries(outputs).find(([, o]) => o.entryPoint === 'src/main.jsx');
const licenses = Buffer.from(thirdPartyLicenses(result.metafile));
const licensesPath = `/assets/third-party-licenses-${hash(licenses).slice(0, 8)}.txt`;
files.push({ path: licensesPath, type: 'text/plain; charset=utf-8', bytes: licenses });
const icon = readFileSync(join(here, 'src/icon.svg'));
const iconPath = `/assets/icon-${hash(icon).slice(0, 8)}.svg`;
files.push({ path: iconPath, type: 'image/svg+xml', bytes: icon });

// The first page: the entry, the chunks it imports statically (preloaded), and its CSS.
const preloads = entry.imports.filter((i) => i.kind === 'import-statement').map((i) => assetPath(i.path));
const html = readFileSync(join(here, 'src/index.html'), 'utf8')
  .replace('%ICON%', iconPath)
  .replace('%LICENSES%', licensesPath)
  .replace('%CSS%', assetPath(entry.cssBundle))
  .replace('%PRELOADS%', preloads.map((p) => `<link rel="modulepreload" href="${p}">`).join('\n    '))
  .replace('%ENTRY%', assetPath(entryName));
files.push({ path: '/', type: 'text/html; charset=utf-8', bytes: Buffer.from(html) });

for (const file of files) {
  file.gzip = gzipSync(file.bytes, { level: 9 });
  file.etag = '"' + hash(file.bytes).slice(0, 20) + '"';
}

// The folder: each file and its gzip form, and manifest.json saying how each is served (what `console.dir`
// reads, so a folder is served exactly as the compiled-in copy, the same types and ETags).
rmSync(out, { recursive: true, force: true });
const manifest = [];
for (const file of files) {
  const name = file.path === '/' ? 'index.html' : file.path.slice(1);
  mkdirSync(dirname(join(out, name)), { recursive: true });
  writeFileSync(join(out, name), file.bytes);
  writeFileSync(join(out, name + '.gz'), file.gzip);
  manifest.push({ path: file.path, type: file.type, etag: file.etag, body: name, gzip: name + '.gz' });
}
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2));
if (cpp) {
  mkdirSync(dirname(cpp), { recursive: true });
  writeFileSync(cpp, cppSource(files));
}
const sizes = pageSizes();
writeFileSync(join(out, 'sizes.json'), JSON.stringify(sizes, null, 2));
if (args.includes('--report')) {
  const kib = (n) => (n / 1024).toFixed(1);
  console.log('page            JS+CSS KiB  gzip KiB');
  for (const { page, raw, gzip } of sizes) console.log(`${page.padEnd(15)} ${kib(raw).padStart(10)}  ${kib(gzip).padStart(8)}`);
}

// The license of every npm package bundled in, each under its name and version.
function thirdPartyLicenses(metafile) {
  const packages = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
    if (match) packages.add(match[1]);
  }
  let text = 'The Keel console bundles these npm packages; their licenses follow.\n';
  for (const name of [...packages].sort()) {
    const folder = join(here, 'node_modules', name);
    const { version } = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    const file = readdirSync(folder).find((f) => /^licen[cs]e/i.test(f));
    if (!file) fail(`${name} ships no license file`);
    text += `\n${'='.repeat(78)}\n${name} ${version}\n\n${readFileSync(join(folder, file), 'utf8').trim()}\n`;
  }
  return text;
}

function hash(bytes) {
  return createHash('sha256').update(bytes).digest('base64url');
}

// A string literal of any bytes: printable ASCII as is, the rest as three-digit octal escapes (which cannot
// swallow a following digit), split into lines.
function literal(bytes) {
  const lines = [];
  let line = '';
  for (const byte of bytes) {
    const c = String.fromCharCode(byte);
    line += byte >= 0x20 && byte < 0x7f && c !== '"' && c !== '\\' && c !== '?' ? c : '\\' + byte.toString(8).padStart(3, '0');
    if (line.length >= 120) {
      lines.push(`"${line}"`);
      line = '';
    }
  }
  lines.push(`"${line}"`);
  return lines.join('\n    ');
}

function cppSource(list) {
  const data = list.map(
    (f, i) => `constexpr char kBody${i}[] =\n    ${literal(f.bytes)};\nconstexpr char kGzip${i}[] =\n    ${literal(f.gzip)};\n`);
  const rows = list.map(
    (f, i) => `    {${JSON.stringify(f.path)}, ${JSON.stringify(f.type)}, ${JSON.stringify(f.etag)}, ` +
      `{kBody${i}, sizeof kBody${i} - 1}, {kGzip${i}, sizeof kGzip${i} - 1}},`);
  return `// Generated by console/build.mjs from console/src; do not edit.
#include "console/console_assets.hpp"

namespace keel::console {
namespace {

${data.join('\n')}
constexpr Asset kAssets[] = {
${rows.join('\n')}
};

}  // namespace

std::span<const Asset> Assets() { return kAssets; }

}  // namespace keel::console
`;
}

// What each page ships, page and all: the HTML, the entry with its static imports and their CSS, plus the page's
// own module and what it imports statically ("shell" is the entry alone, before any page's module).
function pageSizes() {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const closure = (name, seen) => {
    if (seen.has(name)) return seen;
    seen.add(name);
    for (const i of outputs[name].imports) if (i.kind === 'import-statement') closure(i.path, seen);
    return seen;
  };
  const html = byPath.get('/');
  const sum = (names) => {
    let raw = html.bytes.length, gzip = html.gzip.length;
    for (const name of names) {
      for (const path of [name, outputs[name].cssBundle].filter(Boolean)) {
        const file = byPath.get(assetPath(path));
        raw += file.bytes.length;
        gzip += file.gzip.length;
      }
    }
    return { raw, gzip };
  };
  const shell = closure(entryName, new Set());
  const rows = [{ page: 'shell', ...sum(shell) }];
  // Each module loaded on demand (a page; a page's viewer) with all that is loaded before it.
  const visit = (name, loaded) => {
    for (const i of outputs[name].imports.filter((i) => i.kind === 'dynamic-import')) {
      if (loaded.has(i.path)) continue;
      const withIt = closure(i.path, new Set(loaded));
      const source = outputs[i.path].entryPoint ?? i.path;
      rows.push({ page: source.replace('src/pages/', '').replace(/\.jsx$/, ''), ...sum(withIt) });
      visit(i.path, withIt);
    }
  };
  visit(entryName, shell);
  return rows;
}
