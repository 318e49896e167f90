// Module hooks for worker threads when haywire runs from its TypeScript sources (the test suite):
// `./x.js` imports resolve to `./x.ts` and TypeScript is transpiled on load (types erased, no
// checking), cached on disk by content hash so that later workers start fast. Never used by the
// built package, whose workers load the compiled JavaScript.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';

const cacheDir = fileURLToPath(new URL('../../node_modules/.cache/haywire-ts/', import.meta.url));

/* global URL, process */
let ts;

export async function resolve(specifier, context, next) {
  if ((specifier.startsWith('.') || specifier.startsWith('/')) && specifier.endsWith('.js') && context.parentURL?.startsWith('file:')) {
    const url = new URL(specifier, context.parentURL);
    if (!existsSync(fileURLToPath(url))) {
      for (const ext of ['.ts', '.tsx']) {
        const alt = new URL(url.href.replace(/\.js$/, ext));
        if (existsSync(fileURLToPath(alt))) return { url: alt.href, shortCircuit: true, format: 'module' };
      }
    }
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url.startsWith('file:') && (url.endsWith('.ts') || url.endsWith('.tsx'))) {
    const text = await readFile(fileURLToPath(url), 'utf8');
    const cached = `${cacheDir}${createHash('sha1').update(url).update('\0').update(text).digest('hex')}.js`;
    if (existsSync(cached)) return { format: 'module', source: await readFile(cached, 'utf8'), shortCircuit: true };
    ts ??= (await import('typescript')).default;
    const out = ts.transpileModule(text, {
      fileName: fileURLToPath(url),
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, jsx: ts.JsxEmit.ReactJSX, sourceMap: false },
    });
    await mkdir(cacheDir, { recursive: true });
    await writeFile(`${cached}.${process.pid}-${threadId}.tmp`, out.outputText);
    const { rename } = await import('node:fs/promises');
    await rename(`${cached}.${process.pid}-${threadId}.tmp`, cached);
    return { format: 'module', source: out.outputText, shortCircuit: true };
  }
  return next(url, context);
}
