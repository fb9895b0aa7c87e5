import { Inject } from '@nestjs/common';
import { KwsChannels } from './kws.channels.js';
import { KwsPresence } from './kws.presence.js';

/** The injection token of a named endpoint's `KwsChannels` (the class itself for the unnamed one). */
export function getKwsChannelsToken(name?: string): string | typeof KwsChannels {
  return name ? `KwsChannels:${name}` : KwsChannels;
}

/** The injection token of a named endpoint's `KwsPresence` (the class itself for the unnamed one). */
export function getKwsPresenceToken(name?: string): string | typeof KwsPresence {
  return name ? `KwsPresence:${name}` : KwsPresence;
}

/** Injects the `KwsChannels` of a named endpoint: `@InjectKwsChannels('admin') channels: KwsChannels`. */
export function InjectKwsChannels(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getKwsChannelsToken(name));
}

/** Injects the `KwsPresence` of a named endpoint. */
export function InjectKwsPresence(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getKwsPresenceToken(name));
}
