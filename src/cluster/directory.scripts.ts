/**
 * The Lua scripts of the connection directory, each atomic on the Redis side: one file per
 * script in lua/directory/, after the helpers of lua/directory/prelude.lua (which also describes
 * the keys). The header comment of each file is its contract; test/cluster/directory-scripts.spec.ts
 * runs each against a real Redis.
 */
import { LuaScripts } from './lua/lua.loader.js';

const lua = new LuaScripts(new URL('./lua/directory/', import.meta.url), 'prelude.lua');

/** (Re)joins: marks the node alive, retires what it held before, claims the given uuids. */
export const JOIN = lua.script('join.lua');
/** Claims each uuid for the node; returns the ones a live node holds. */
export const CLAIM_ALL = lua.script('claim-all.lua');
/** Claims one uuid and releases another, in one step. */
export const RENAME = lua.script('rename.lua');
/** Releases a uuid the node holds. */
export const RELEASE = lua.script('release.lua');
/** Refreshes the node's liveness (while it listens) and retires dead nodes. */
export const HEARTBEAT = lua.script('heartbeat.lua');
/** Drains one bounded batch of one retired set. */
export const GC_STEP = lua.script('gc-step.lua');
/** A connection joins rooms; returns those it is new to. */
export const ROOM_JOIN = lua.script('room-join.lua');
/** A session moved to the node takes its rooms along quietly; returns those it was absent from. */
export const ROOM_ADOPT = lua.script('room-adopt.lua');
/** The node lets a session's memberships go quietly, parked until adopted or expired. */
export const ROOM_PARK = lua.script('room-park.lua');
/** A connection leaves rooms; returns those it left. */
export const ROOM_LEAVE = lua.script('room-leave.lua');
/** Re-registers memberships after a rejoin; returns the pairs new to their room. */
export const ROOM_SYNC = lua.script('room-sync.lua');
/** Members of a room held by live nodes. */
export const ROOM_SIZE = lua.script('room-size.lua');
/** One page of a room's members on live nodes. */
export const ROOM_MEMBERS_PAGE = lua.script('room-members-page.lua');
/** One page of the rooms with a member on a live node. */
export const ROOMS_PAGE = lua.script('rooms-page.lua');
/** Goodbye: the node's uuids and memberships are retired at once. */
export const LEAVE = lua.script('leave.lua');
/** Publishes a message to the live node holding a uuid. */
export const ROUTE = lua.script('route.lua');
/** Publishes a message once to each live node holding one of the uuids. */
export const ROUTE_LIST = lua.script('route-list.lua');
/** Publishes to every node; returns receivers and live nodes. */
export const PUBLISH_ALL = lua.script('publish-all.lua');
/** Publishes a room broadcast; returns receivers and the live nodes of the room (and of all). */
export const PUBLISH_ROOM = lua.script('publish-room.lua');
/** Connections per live node. */
export const NODE_COUNTS = lua.script('node-counts.lua');
/** Connections held by live nodes. */
export const COUNT = lua.script('count.lua');
