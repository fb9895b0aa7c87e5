import { HttpException, Logger } from '@nestjs/common';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { KwsAllowUpgrade, KwsAttributes } from '../kws-module-options.interface.js';
import { UPGRADE_REFUSAL_FAILED } from '../kws.messages.js';

/** The answer of the gate: accept (with optional attributes) or refuse with an HTTP status. */
export type UpgradeVerdict =
  | { accepted: true; attributes?: KwsAttributes }
  | { accepted: false; status: number; message: string };

export interface UpgradeGateOptions {
  origins?: string[] | ((origin: string | undefined) => boolean);
  allowUpgrade?: KwsAllowUpgrade;
}

const logger = new Logger('KwsModule');

/** Origin check, `Upgrade: websocket` check, then the user's `allowUpgrade`. */
export async function judgeUpgrade(
  request: IncomingMessage,
  options: UpgradeGateOptions,
): Promise<UpgradeVerdict> {
  if (request.headers.upgrade?.toLowerCase() !== 'websocket') return refuse(426);
  if (!originAllowed(request.headers.origin, options.origins)) {
    return refuse(403, 'Origin not allowed');
  }
  if (!options.allowUpgrade) return { accepted: true };
  try {
    const answer = await options.allowUpgrade(request);
    if (answer === false) return refuse(403);
    if (answer && typeof answer === 'object') return { accepted: true, attributes: answer };
    return { accepted: true };
  } catch (error) {
    if (error instanceof HttpException) return refuse(error.getStatus(), error.message);
    logger.error(UPGRADE_REFUSAL_FAILED, error instanceof Error ? error.stack : String(error));
    return refuse(500);
  }
}

function originAllowed(
  origin: string | undefined,
  allowed: UpgradeGateOptions['origins'],
): boolean {
  if (!allowed) return true;
  if (typeof allowed === 'function') return allowed(origin);
  return origin !== undefined && allowed.includes(origin);
}

function refuse(status: number, message = STATUS_CODES[status] ?? 'Refused'): UpgradeVerdict {
  return { accepted: false, status, message };
}

/** Answers a refused upgrade with a plain HTTP response and closes the socket. */
export function writeRefusal(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = Buffer.from(message);
  const extra = status === 426 ? 'Upgrade: websocket\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      `${extra}Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${body.length}\r\n\r\n${body}`,
  );
}
