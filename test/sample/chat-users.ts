import { connect, type TestClient } from '../helpers/ws-client.js';

/** A ws client joined to the sample chat, with the uuid its welcome message announced. */
export interface ChatUser {
  id: string;
  uuid: string;
  client: TestClient;
}

const WELCOME = /^Hello user: (.+) with UUID: (.+)$/;

/** Joins as `id` and takes the welcome message off the queue. */
export async function join(wsUrl: (path: string) => string, id: string): Promise<ChatUser> {
  const client = await connect(wsUrl(`/ws/${id}`));
  let welcome = (await client.next()).text;
  // The sample runs with connection-state recovery: a session packet comes first (protocol.md).
  if (welcome.startsWith('{"session":')) welcome = (await client.next()).text;
  const match = WELCOME.exec(welcome);
  if (!match || match[1] !== id) throw new Error(`unexpected welcome: ${welcome}`);
  return { id, uuid: match[2], client };
}

/** The next message, parsed as the chat's JSON envelope. */
export async function nextJson(client: TestClient): Promise<Record<string, string>> {
  return JSON.parse((await client.next()).text) as Record<string, string>;
}

export function chatMessage(to: string, data: string, event = ''): string {
  return JSON.stringify({ from: 'whoever', to, event, data });
}

/** Takes `count` messages off the queue (arrivals a test does not care about). */
export async function skip(client: TestClient, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await client.next();
}
