/**
 * The Lua scripts of connection-state recovery in cluster mode: one file per script in
 * ../lua/recovery/ (LOG_TO, UNKNOWN, TAKE and MOVE after the directory helpers of its
 * prelude.lua, which also describes the keys). test/recovery/recovery-scripts.spec.ts runs each
 * against a real Redis.
 */
import { LuaScripts } from '../lua/lua.loader.js';

const lua = new LuaScripts(new URL('../lua/recovery/', import.meta.url), 'prelude.lua');

/** Saves (or refreshes) a session's snapshot under its token. */
export const SAVE = lua.bare('save.lua');
/** Standalone Redis: logs a message to the uuids with a live holder; returns the others. */
export const LOG_TO = lua.script('log-to.lua');
/** Redis Cluster, in one directory shard: the uuids no live node holds. */
export const UNKNOWN = lua.script('unknown.lua');
/** Takes the session of a token (single use), logging a "moved" entry. */
export const TAKE = lua.script('take.lua');
/** Redis Cluster, in the uuid's directory shard: moves a taken session's uuid. */
export const MOVE = lua.script('move.lua');
