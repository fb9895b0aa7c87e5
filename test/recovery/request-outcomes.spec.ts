import { describe, expect, it } from 'vitest';
import type { KwsDispatchOutcome } from '../../src/events/event.dispatcher.js';
import { JsonKwsParser, type KwsPacket, type KwsParser } from '../../src/index.js';
import { OUTCOME_NOT_KEPT, type KwsRememberedRequest } from '../../src/recovery/request.dedupe.js';
import {
  REQUEST_OUTCOME_BYTES,
  requestsSnapshot,
  restoredRequests,
} from '../../src/recovery/request.outcomes.js';

/** A binary codec as an app might plug in: JSON inside a frame with a marker byte, with Dates. */
class TaggedBinaryParser implements KwsParser {
  encode(packet: KwsPacket): Buffer {
    const json = JSON.stringify(packet, (key, value: unknown) =>
      key !== '$date' && typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value)
        ? { $date: value }
        : value,
    );
    return Buffer.concat([Buffer.from([0xfe]), Buffer.from(json)]);
  }
  decode(data: Buffer, isBinary: boolean): KwsPacket | undefined {
    if (!isBinary || data[0] !== 0xfe) return undefined;
    return JSON.parse(data.subarray(1).toString(), (_key, value: { $date?: string }) =>
      value && typeof value === 'object' && typeof value.$date === 'string'
        ? new Date(value.$date)
        : value,
    ) as KwsPacket;
  }
}

const answered = (value: unknown): KwsDispatchOutcome => ({
  listeners: 1,
  value,
  error: undefined,
});

/** The window a snapshot carries, read back on another node with the same parser. */
function travel(requests: KwsRememberedRequest[], parser: KwsParser): KwsRememberedRequest[] {
  return restoredRequests(requestsSnapshot(requests, parser, 'node-a'), parser);
}

describe('the rid window in a session snapshot (request.outcomes.ts)', () => {
  it('carries answers, error answers, no-listener answers and runs in progress, oldest first', () => {
    const parser = new JsonKwsParser();
    const restored = travel(
      [
        { rid: 1, settled: answered({ n: 1 }) },
        { rid: 2, settled: { listeners: 1, value: undefined, error: new Error('secret') } },
        { rid: 3, settled: { listeners: 0, value: undefined, error: undefined } },
        { rid: 4, settled: answered(undefined) },
        { rid: 5 },
        { rid: 6, runner: 'node-b' },
      ],
      parser,
    );
    expect(restored).toEqual([
      { rid: 1, settled: { listeners: 1, value: { n: 1 }, error: undefined } },
      // A thrown error travels as the client saw it: 500, no message leaked.
      {
        rid: 2,
        settled: expect.objectContaining({ ackError: { message: 'Internal error', status: 500 } }),
      },
      {
        rid: 3,
        settled: expect.objectContaining({ ackError: { message: 'No such event', status: 404 } }),
      },
      { rid: 4, settled: { listeners: 1, value: undefined, error: undefined } },
      { rid: 5, runner: 'node-a' }, // running on the node that saved it
      { rid: 6, runner: 'node-b' },
    ]);
  });

  it('with a binary parser, an answer travels in base64 and reads back as the parser decodes it', () => {
    const parser = new TaggedBinaryParser();
    const when = new Date('2026-11-25T10:00:00.000Z');
    const snapshot = requestsSnapshot([{ rid: 9, settled: answered({ when }) }], parser, 'n');
    expect(JSON.parse(snapshot)).toEqual([[9, 'b', expect.any(String)]]);
    const [restored] = restoredRequests(snapshot, parser);
    expect(restored.settled?.value).toEqual({ when });
    // Read back by a parser that does not know the frame: not kept (a 409), never a second run.
    expect(restoredRequests(snapshot, new JsonKwsParser())[0].settled).toBe(OUTCOME_NOT_KEPT);
  });

  it(`keeps at most ${REQUEST_OUTCOME_BYTES} bytes of answers, the newest first: older ones are remembered without theirs`, () => {
    const parser = new JsonKwsParser();
    const third = 'x'.repeat(REQUEST_OUTCOME_BYTES / 3);
    const requests = [1, 2, 3, 4].map((rid) => ({ rid, settled: answered(third) }));
    const snapshot = requestsSnapshot(requests, parser, 'n');
    expect(snapshot.length).toBeLessThan(REQUEST_OUTCOME_BYTES + 200);
    const restored = restoredRequests(snapshot, parser);
    expect(restored.map((r) => r.rid)).toEqual([1, 2, 3, 4]);
    expect(restored[0].settled).toBe(OUTCOME_NOT_KEPT);
    expect(restored[1].settled).toBe(OUTCOME_NOT_KEPT);
    expect(restored[2].settled?.value).toBe(third);
    expect(restored[3].settled?.value).toBe(third);
  });

  it('leaves out what is malformed', () => {
    const parser = new JsonKwsParser();
    expect(restoredRequests('not json', parser)).toEqual([]);
    expect(restoredRequests('{"a":1}', parser)).toEqual([]);
    expect(
      restoredRequests('[[1.5,"r","n"],["x","r","n"],[2,"r",7],[3,"t","{"],[4,"r","n"]]', parser),
    ).toEqual(
      [
        { rid: 3, settled: OUTCOME_NOT_KEPT },
        { rid: 4, runner: 'n' },
      ].reverse(),
    );
  });
});
