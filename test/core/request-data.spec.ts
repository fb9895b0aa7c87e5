import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { KwsRequest } from '../../src/connection/request.data.js';

function upgrade(headers: Record<string, string | string[]>, url = '/ws'): IncomingMessage {
  return { headers, url, socket: { remoteAddress: '10.0.0.1' } } as unknown as IncomingMessage;
}

describe('what a connection keeps of its upgrade request', () => {
  it('answers every header but the handshake ones, and cookies, as the request said', () => {
    const request = KwsRequest.from(
      upgrade({
        host: 'app.example.com',
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': 'k',
        'user-agent': 'Mozilla/5.0',
        cookie: 'a=1; b="x%20y"; a=2',
        'set-cookie': ['s=1', 's=2'],
      }),
      {},
      '/ws',
    );
    expect(request.header('host')).toBe('app.example.com');
    expect(request.header('user-agent')).toBe('Mozilla/5.0');
    expect(request.header('set-cookie')).toEqual(['s=1', 's=2']);
    expect(request.header('connection')).toBeUndefined();
    expect(request.header('sec-websocket-key')).toBeUndefined();
    expect([...request.cookies]).toEqual([
      ['a', '1'],
      ['b', 'x y'],
    ]);
    expect(request.ip(undefined)).toBe('10.0.0.1');
    expect(request.query.get('x')).toBeNull();
  });

  it('shares one string among connections whose common header is the same, never mixing values', () => {
    const ua = (n: number): string => `Mozilla/5.0 (${n})`;
    const first = KwsRequest.from(upgrade({ host: 'h', 'user-agent': ua(1) }), {});
    const second = KwsRequest.from(upgrade({ host: 'h', 'user-agent': ua(1) }), {});
    const third = KwsRequest.from(upgrade({ host: 'h', 'user-agent': ua(2) }), {});
    expect(second.header('user-agent')).toBe(ua(1));
    expect(third.header('user-agent')).toBe(ua(2));
    expect(first.header('user-agent')).toBe(ua(1));
    // Same content, one string: V8 compares `===` by value, so the proof is the heap, not here;
    // what matters to callers is that each connection still reads its own value.
    expect(KwsRequest.from(upgrade({ 'user-agent': ua(1) }), {}).header('user-agent')).toBe(ua(1));
  });
});
