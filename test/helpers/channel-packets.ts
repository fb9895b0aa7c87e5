import { connect, eventually, type TestClient } from './ws-client.js';

/** A packet as the test reads it: whatever JSON the server sent. */
export type ChannelPacket = Record<string, any>;

/**
 * A raw `ws` client speaking the channel protocol by hand (docs/protocol.md), no library client:
 * every packet it received is kept in `packets`, so a test can ask for an ack by id while pushes
 * interleave, and assert the order of what arrived.
 */
export class ChannelPackets {
  private lastId = 0;

  constructor(readonly raw: TestClient) {}

  static async open(url: string): Promise<ChannelPackets> {
    return new ChannelPackets(await connect(url));
  }

  /** Every packet received so far, in order. */
  get packets(): ChannelPacket[] {
    return this.raw.received.map((message) => JSON.parse(message.text) as ChannelPacket);
  }

  send(packet: ChannelPacket): void {
    this.raw.send(JSON.stringify(packet));
  }

  /** Sends a packet with a fresh id and resolves with its acknowledgement. */
  async ask(packet: ChannelPacket): Promise<ChannelPacket> {
    const id = ++this.lastId;
    this.send({ ...packet, id });
    return this.waitFor((p) => p.ack === id);
  }

  join(channel: string, params?: unknown): Promise<ChannelPacket> {
    return this.ask({ channel, event: 'kws:join', data: params });
  }

  /** The first packet received (so far or later) that matches. */
  async waitFor(
    match: (packet: ChannelPacket) => boolean,
    timeoutMs = 5_000,
  ): Promise<ChannelPacket> {
    const found = await eventually(
      () => this.packets.find(match),
      (packet) => packet !== undefined,
      timeoutMs,
    );
    if (!found) throw new Error('timed out waiting for a packet');
    return found;
  }

  /** The packets of one channel and event, in order. */
  of(channel: string, event?: string): ChannelPacket[] {
    return this.packets.filter(
      (p) => p.channel === channel && (event === undefined || p.event === event),
    );
  }

  close(): Promise<unknown> {
    return this.raw.close();
  }
}

/** The presence a client holds, rebuilt from what it received: `key×metas`, sorted. */
export function heldBy(client: ChannelPackets, channel: string): string[] {
  const state = new Map<string, Set<string>>();
  for (const packet of client.of(channel)) {
    if (packet.event === 'kws:presence_state') {
      state.clear();
      for (const [key, entry] of Object.entries<any>(packet.data)) {
        state.set(key, new Set(entry.metas.map((m: any) => m.kws_ref)));
      }
    } else if (packet.event === 'kws:presence_diff') {
      for (const [key, entry] of Object.entries<any>(packet.data.joins)) {
        const refs = state.get(key) ?? new Set<string>();
        for (const m of entry.metas) refs.add(m.kws_ref);
        state.set(key, refs);
      }
      for (const [key, entry] of Object.entries<any>(packet.data.leaves)) {
        for (const m of entry.metas) state.get(key)?.delete(m.kws_ref);
        if (state.get(key)?.size === 0) state.delete(key);
      }
    }
  }
  return [...state].map(([key, refs]) => `${key}×${refs.size}`).sort();
}
