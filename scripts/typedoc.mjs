// Runs TypeDoc on TypeScript 6 while the project compiles with TypeScript 7.
// TypeScript 7 (the native compiler) ships no JavaScript compiler API, which TypeDoc is built on,
// so `typescript6` (an npm alias of typescript@6) is installed beside it and TypeDoc's imports of
// 'typescript' are resolved to it by the hook below. Arguments go to TypeDoc's CLI unchanged.
import { register } from 'node:module';

const hook = `
export async function resolve(specifier, context, next) {
  if (specifier === 'typescript' && context.parentURL?.includes('/node_modules/typedoc/')) {
    return next('typescript6', context);
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`, import.meta.url);
// The CLI is not among TypeDoc's exports: import it by its file (it runs on import).
const typedoc = import.meta.resolve('typedoc');
await import(new URL('cli.js', typedoc).href);
