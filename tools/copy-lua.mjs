// Copies every .lua file of a source tree to the same place in a build tree (tsc copies only
// code; the Lua scripts are read beside the compiled modules). Usage: node tools/copy-lua.mjs src dist
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const [from = 'src', to = 'dist'] = process.argv.slice(2);
let copied = 0;
const walk = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (entry.name.endsWith('.lua')) {
      const target = join(to, relative(from, path));
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(path, target);
      copied++;
    }
  }
};
walk(from);
if (copied === 0) throw new Error(`No .lua file under ${from}`);
