import { connect, type TestClient } from './ws-client.js';

/** A packet as the test reads it: whatever JSON the server sent. */
export type Packet = Record<string, unknown> & {
  event?: string;
  data?: unknown;
  id?: number;
  ack?: number;
  error?: { message: string; status: number };
};

/** A raw `ws` client that speaks the JSON named-events protocol by hand (no library client). */
export class PacketClient {
  private lastId = 0;

  constructor(readonly raw: TestClient) {}

  static async open(url: string): Promise<PacketClient> {
    return new PacketClient(await connect(url));
  }

  emit(event: string, data?: unknown): void {
    this.raw.send(JSON.stringify({ event, data }));
  }

  /** Sends an event with an id and resolves with the acknowledgement that carries it. */
  async ask(event: string, data?: unknown): Promise<Packet> {
    const id = ++this.lastId;
    this.raw.send(JSON.stringify({ event, data, id }));
    const packet = await this.nextPacket();
    if (packet.ack !== id)
      throw new Error(`expected the ack of ${id}, got ${JSON.stringify(packet)}`);
    return packet;
  }

  async nextPacket(timeoutMs?: number): Promise<Packet> {
    const message = await this.raw.next(timeoutMs);
    return JSON.parse(message.text) as Packet;
  }

  close(): Promise<unknown> {
    return this.raw.close();
  }
}
