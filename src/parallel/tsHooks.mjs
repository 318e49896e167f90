// Module hooks for worker threads when haywire runs from its TypeScript sources (the test suite):
// `./x.js` imports resolve to `./x.ts` and TypeScript is transpiled on load (types erased, no
// checking). Never used by the built package, whose workers load the compiled JavaScript.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/* global URL */
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
    ts ??= (await import('typescript')).default;
    const text = await readFile(fileURLToPath(url), 'utf8');
    const out = ts.transpileModule(text, {
      fileName: fileURLToPath(url),
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, jsx: ts.JsxEmit.ReactJSX, sourceMap: false },
    });
    return { format: 'module', source: out.outputText, shortCircuit: true };
  }
  return next(url, context);
}
