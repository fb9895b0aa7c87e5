import type { Kws, KwsServer } from 'nestjs-kws';
import type { ChatMessage } from './chat-message.js';

/**
 * Two kinds of clients get the chat's envelopes `{from, to, event, data}`: the Go example's, as
 * raw JSON text frames, and the page (built on the shipped client, `?events=1`), as the named
 * event `chat`. Named events carry an offset, so a page whose network blinks gets what it missed
 * when it comes back (connection-state recovery); raw frames cannot.
 */
export const CHAT_EVENT = 'chat';

const EVERYONE = 'all';

/** The room through which one format reaches a user's connections (or everyone, for 'all'). */
function formatRoom(kws: Kws, userId: string): string {
  return `${wantsEvents(kws) ? 'events' : 'raw'}:${userId}`;
}

function wantsEvents(kws: Kws): boolean {
  return kws.query('events') === '1';
}

/** A new connection joins the rooms of its format: its user's and everyone's. */
export function joinFormatRooms(kws: Kws, userId: string): void {
  kws.join(formatRoom(kws, userId), formatRoom(kws, EVERYONE));
}

/** To every connection of `userId` ('' for everyone) but `except`, each in its format. */
export async function deliverChat(
  sender: Pick<KwsServer, 'broadcastTo'>,
  message: ChatMessage,
  userId: string,
  except?: string,
): Promise<string[]> {
  const target = userId || EVERYONE;
  const [raw, events] = await Promise.all([
    sender.broadcastTo(`raw:${target}`, JSON.stringify(message), { except }),
    sender.broadcastTo(`events:${target}`, { event: CHAT_EVENT, data: message }, { except }),
  ]);
  return raw.concat(events);
}

/** To one connection, in its format. */
export function emitChat(kws: Kws, message: ChatMessage): void {
  kws.emit(wantsEvents(kws) ? { event: CHAT_EVENT, data: message } : JSON.stringify(message));
}
