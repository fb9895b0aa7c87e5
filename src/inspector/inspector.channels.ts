import { CHANNEL_ROOM_PREFIX, channelRoom } from '../channels/channel.constants.js';
import type { KwsChannels } from '../channels/kws.channels.js';
import { INSPECTOR_BAD_REQUEST } from '../kws.messages.js';
import type { KwsServer } from '../server/kws.server.js';
import type { InspectorReply } from './inspector.view.js';

/** Channels listed (with members, presence keys and history size), at most. */
export const INSPECTOR_CHANNELS_SHOWN = 100;
/** Presence keys shown for one channel, and metas shown per key, at most. */
export const INSPECTOR_PRESENCE_KEYS_SHOWN = 50;
export const INSPECTOR_METAS_SHOWN = 5;

/** One listed channel of the `state` answer. */
export interface InspectorChannelRow {
  name: string;
  /** Members on every live node. */
  members: number;
  /** Presence keys (cluster-wide: every node holds the same presence). */
  presence: number;
  /** Messages kept; null when the channel keeps no history. */
  history: number | null;
}

/**
 * @internal The inspector's view of an endpoint's channels (src/channels): a channel is the room
 * `ch:<name>`, so the list comes from the same room listing as the Rooms card, its members from
 * `roomSize`; presence is read from this node's copy (the same on every node in cluster mode, as
 * members get it on join); history sizes from the history store.
 */
export class KwsInspectorChannels {
  constructor(
    private readonly channels: KwsChannels,
    private readonly server: KwsServer,
  ) {}

  /**
   * The channel card of `state`, from the sorted room listing; null when the endpoint has no
   * channels (no join handler and no channel with members): the page then shows no card.
   */
  async summary(
    rooms: readonly string[],
  ): Promise<{ count: number; shown: InspectorChannelRow[] } | null> {
    const names = rooms
      .filter((room) => room.startsWith(CHANNEL_ROOM_PREFIX))
      .map((room) => room.slice(CHANNEL_ROOM_PREFIX.length));
    if (names.length === 0 && !this.channels.inUse) return null;
    const shown = names.slice(0, INSPECTOR_CHANNELS_SHOWN);
    const rows = await Promise.all(shown.map((name) => this.row(name)));
    return { count: names.length, shown: rows };
  }

  /** One channel: its figures and its presence (the first keys, the first metas of each). */
  async channel(name: string | null): Promise<InspectorReply> {
    if (!name) {
      return { status: 400, body: { message: INSPECTOR_BAD_REQUEST('the query needs a "name"') } };
    }
    const row = await this.row(name);
    const presence = this.channels.presence.inspect(
      name,
      INSPECTOR_PRESENCE_KEYS_SHOWN,
      INSPECTOR_METAS_SHOWN,
    );
    return {
      status: 200,
      body: {
        ...row,
        presence: { keys: presence.keys, shown: presence.shown },
      },
    };
  }

  private async row(name: string): Promise<InspectorChannelRow> {
    const [members, history] = await Promise.all([
      this.server.roomSize(channelRoom(name)),
      this.channels.historySize(name),
    ]);
    return {
      name,
      members,
      presence: this.channels.presence.keyCount(name),
      history: history ?? null,
    };
  }
}
