import type { ParamsFactory } from '@nestjs/core';

// @nestjs/websockets' WsParamtype values (not exported from its index).
const SOCKET = 0;
const PAYLOAD = 3;

/** Maps `@ConnectedSocket()` and `@MessageBody(key?)` to a listener call's arguments. */
export class KwsParamsFactory implements ParamsFactory {
  exchangeKeyForValue(type: number, data: unknown, args: unknown[]): unknown {
    if (!args) return null;
    if (type === SOCKET) return args[0];
    if (type !== PAYLOAD) return null;
    const body = args[1];
    if (data === undefined || data === null) return body;
    return typeof body === 'object' && body !== null
      ? (body as Record<string, unknown>)[data as string]
      : undefined;
  }
}
