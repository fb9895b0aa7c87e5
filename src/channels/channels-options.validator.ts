import { KwsError } from '../errors/kws.error.js';
import { INVALID_OPTION } from '../kws.messages.js';
import {
  DEFAULT_MAX_CHANNEL_NAME_LENGTH,
  DEFAULT_MAX_CHANNELS_PER_CONNECTION,
  DEFAULT_MAX_PRESENCE_META_BYTES,
} from './channel.constants.js';
import type { KwsChannelsOptions } from './channels-options.interface.js';
import type { KwsClusterOptions } from '../cluster/kws-cluster-options.interface.js';

/** The bounds in force, defaults filled in. */
export type KwsChannelBounds = Required<KwsChannelsOptions>;

/** What the channels of an endpoint are built from. */
export interface KwsChannelSetup {
  bounds: KwsChannelBounds;
  /** Cluster mode: presence is shared through this Redis. */
  cluster: KwsClusterOptions | undefined;
}

/** Checks option `channels` at bootstrap and fills in the defaults. */
export function channelBounds(options: KwsChannelsOptions | undefined): KwsChannelBounds {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new KwsError(INVALID_OPTION('channels', options, 'an object'));
  }
  const bounds: KwsChannelBounds = {
    maxNameLength: options?.maxNameLength ?? DEFAULT_MAX_CHANNEL_NAME_LENGTH,
    maxPerConnection: options?.maxPerConnection ?? DEFAULT_MAX_CHANNELS_PER_CONNECTION,
    maxMetaBytes: options?.maxMetaBytes ?? DEFAULT_MAX_PRESENCE_META_BYTES,
  };
  for (const key of Object.keys(bounds) as (keyof KwsChannelBounds)[]) {
    const value = bounds[key];
    if (!(Number.isInteger(value) && value > 0)) {
      throw new KwsError(INVALID_OPTION(`channels.${key}`, value, 'an integer > 0'));
    }
  }
  return bounds;
}
