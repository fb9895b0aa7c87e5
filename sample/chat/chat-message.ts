/** The Go example's `MessageObject`: what clients send and what the server forwards. */
export interface ChatMessage {
  from: string;
  /** A user id, or '' for everyone. */
  to: string;
  /** A custom event to fire on the sender's connection, or ''. */
  event: string;
  data: string;
}

/** `ChatMessage` as a JSON Schema, for the AsyncAPI document (an interface leaves no trace at run time). */
export const CHAT_MESSAGE_SCHEMA = {
  type: 'object',
  required: ['from', 'to', 'event', 'data'],
  properties: {
    from: { type: 'string', description: "The sender's user id, or 'server'." },
    to: { type: 'string', description: "A user id, or '' for everyone." },
    event: {
      type: 'string',
      description: "A custom event fired on the sender's connection, or ''.",
    },
    data: { type: 'string' },
  },
};

/** Who the server signs its own messages with (errors, custom-event replies, announcements). */
export const SERVER = 'server';

/** Parses a client frame; returns an error text instead of throwing on bad input. */
export function parseChatMessage(text: string): ChatMessage | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `Malformed message: not JSON: ${text.slice(0, 80)}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'Malformed message: expected an object {from, to, event, data}';
  }
  const { from = '', to = '', event = '', data = '' } = value as Record<string, unknown>;
  if (![from, to, event, data].every((field) => typeof field === 'string')) {
    return 'Malformed message: from, to, event and data must be strings';
  }
  return { from, to, event, data } as ChatMessage;
}

/** A message from the server itself, in the same shape as a chat message. */
export function serverChat(to: string, event: string, data: string): ChatMessage {
  return { from: SERVER, to, event, data };
}

/** `serverChat` as the Go example's raw JSON text. */
export function serverMessage(to: string, event: string, data: string): string {
  return JSON.stringify(serverChat(to, event, data));
}
