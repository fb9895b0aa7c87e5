/**
 * The Lua scripts of channel history in cluster mode, one file each in lua/ (the header comment of
 * each is its contract); test/channels/history-scripts.spec.ts runs them against a real Redis.
 */
import { LuaScripts } from '../cluster/lua/lua.loader.js';

const lua = new LuaScripts(new URL('./lua/', import.meta.url));

/** Numbers a message, appends it to the channel's stream, trims it; answers `[epoch, n]`. */
export const APPEND = lua.bare('append.lua');
/** The channel's epoch, last number, kept count and newest entries (all, or after a number). */
export const READ = lua.bare('read.lua');
