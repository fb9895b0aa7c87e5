import { readFileSync } from 'node:fs';

/**
 * Reads Lua scripts shipped as files beside the compiled code (the build copies every `.lua` of
 * src/ into dist/, see tools/copy-lua.mjs). Read once, when the module that names them is imported:
 * a missing file fails at startup, not at the first call.
 */
export class LuaScripts {
  private readonly prelude: string;

  /**
   * `folder`: the scripts' folder, as a URL (`new URL('./lua/x/', import.meta.url)`, with the
   * trailing slash); `prelude`: a file of that folder every script starts with (its helpers).
   */
  constructor(
    private readonly folder: URL,
    prelude?: string,
  ) {
    this.prelude = prelude ? readLua(new URL(prelude, folder)) : '';
  }

  /** The prelude, then the script `name` (a file of the folder, e.g. `join.lua`). */
  script(name: string): string {
    return `${this.prelude}\n${readLua(new URL(name, this.folder))}`;
  }

  /** The script `name` alone, without the prelude. */
  bare(name: string): string {
    return readLua(new URL(name, this.folder));
  }
}

/**
 * The code of one Lua file (`new URL('./x.lua', import.meta.url)`), without its whole-line `--`
 * comments: they document the file, Redis need not receive them with every script load (and a
 * comment edit leaves the script's SHA unchanged).
 */
export function readLua(file: URL): string {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
}
