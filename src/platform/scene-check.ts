// A scene module that Node would load as the wrong kind of module (Node only; reached through
// io.ts): ES module syntax in a `.js` file of a package without "type": "module". Older Node
// versions fail on it with "Unexpected token 'export'" (after a warning printed by every worker
// thread); newer ones re-parse it with a warning per thread. Either way the fix is the user's, and
// one line says which.
import { readFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFunction } from 'node:vm';
import { Mp4ForgeError } from '../errors.js';

/** The nearest package.json above `dir` and its "type", or null at the root. */
async function nearestPackage(dir: string): Promise<{ path: string; type: unknown } | null> {
  for (let d = dir; ; d = dirname(d)) {
    const path = join(d, 'package.json');
    const text = await readFile(path, 'utf8').catch(() => null);
    if (text !== null) {
      try {
        return { path, type: (JSON.parse(text) as { type?: unknown }).type };
      } catch {
        return { path, type: undefined };
      }
    }
    if (dirname(d) === d) return null;
  }
}

/** What V8 says when module syntax is compiled as a script. */
const MODULE_SYNTAX = /Unexpected token 'export'|Cannot use import statement outside a module|Cannot use 'import\.meta' outside a module|await is only valid/;

/** Refuses (INVALID_OPTION, one line) a `.js` scene with ES module syntax in a CommonJS package. */
export async function checkSceneModule(ref: string): Promise<void> {
  if (!ref.startsWith('file:')) return;
  const path = fileURLToPath(ref);
  if (!path.endsWith('.js')) return;
  const pkg = await nearestPackage(dirname(path));
  if (pkg?.type === 'module') return;
  const source = await readFile(path, 'utf8').catch(() => null);
  if (source === null) return; // the import reports it
  try {
    compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: path });
  } catch (err) {
    if (!(err instanceof SyntaxError) || !MODULE_SYNTAX.test(err.message)) return; // a plain syntax error: the import reports it
    const where = pkg ? `${pkg.path} has no "type": "module"` : 'no package.json says "type": "module"';
    throw new Mp4ForgeError(
      'INVALID_OPTION',
      `scene ${path} is an ES module (export/import), but Node loads .js files there as CommonJS (${where}): ` +
        `rename it to ${basename(path, '.js')}.mjs, or add "type": "module" to ${pkg ? 'that package.json' : 'a package.json beside it'}`,
      { cause: err, details: { option: 'scene' } },
    );
  }
}
