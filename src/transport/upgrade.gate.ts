import { HttpException, Logger } from '@nestjs/common';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type {
  KwsAllowUpgrade,
  KwsAttributes,
  KwsUpgradeInfo,
} from '../kws-module-options.interface.js';
import { BAD_PARAM, UPGRADE_REFUSAL_FAILED } from '../kws.messages.js';
import type { OriginCheck } from './origin.check.js';
import type { OriginRefusals } from './origin.refusals.js';
import type { KwsRouteParams } from './path.matcher.js';

/** The answer of the gate: accept (with optional attributes) or refuse with an HTTP status. */
export type UpgradeVerdict =
  | { accepted: true; attributes?: KwsAttributes }
  | { accepted: false; status: number; message: string };

export interface UpgradeGateOptions {
  origins: OriginCheck;
  /** Where origin refusals are logged (rate-limited). */
  originRefusals: OriginRefusals;
  maxParamLength: number;
}

const NO_INFO: KwsUpgradeInfo = Object.freeze({});

/** A refused socket is destroyed once its answer is flushed, or after this long at the latest. */
export const REFUSAL_GRACE_MS = 1_000;
const logger = new Logger('KwsModule');
// Control characters (C0, DEL, C1), path separators and dot segments have no place in an id.
// eslint-disable-next-line no-control-regex
const BAD_PARAM_CHARS = /[\u0000-\u001f\u007f-\u009f/\\]/;

/**
 * What can be decided without the user's gate: origin (403) and route params (400). Runs after
 * `ws` has validated the handshake itself, and before `allowUpgrade`.
 */
export function precheckUpgrade(
  request: IncomingMessage,
  params: KwsRouteParams,
  options: UpgradeGateOptions,
): UpgradeVerdict | undefined {
  const originRefused = options.origins(request);
  if (originRefused !== undefined) {
    options.originRefusals.report(request.headers.origin, originRefused);
    return refuse(403, 'Origin not allowed');
  }
  for (const name of Object.keys(params)) {
    const value = params[name];
    if (
      value.length > options.maxParamLength ||
      value === '.' ||
      value === '..' ||
      BAD_PARAM_CHARS.test(value)
    ) {
      return refuse(400, BAD_PARAM(name, options.maxParamLength));
    }
  }
  return undefined;
}

/** Asks the user's `allowUpgrade`: false → 403, HttpException → its status, a crash → 500. */
export async function askGate(
  gate: KwsAllowUpgrade,
  request: IncomingMessage,
  describe?: (request: IncomingMessage) => KwsUpgradeInfo | Promise<KwsUpgradeInfo>,
): Promise<UpgradeVerdict> {
  try {
    const info = describe ? await describe(request) : NO_INFO;
    const answer = await gate(request, info);
    if (answer === false) return refuse(403);
    if (answer && typeof answer === 'object') return { accepted: true, attributes: answer };
    return { accepted: true };
  } catch (error) {
    if (error instanceof HttpException) return refuse(error.getStatus(), error.message);
    logger.error(UPGRADE_REFUSAL_FAILED, error instanceof Error ? error.stack : String(error));
    return refuse(500);
  }
}

export function refuse(
  status: number,
  message = STATUS_CODES[status] ?? 'Refused',
): UpgradeVerdict {
  return { accepted: false, status, message };
}

/**
 * Answers a refused upgrade with a plain HTTP response, then releases the socket: destroyed once
 * the answer is flushed (a client that keeps its half open must not pin it), and after
 * `REFUSAL_GRACE_MS` at the latest if it cannot be flushed.
 */
export function writeRefusal(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = Buffer.from(message);
  const extra = status === 426 ? 'Upgrade: websocket\r\n' : '';
  socket.on('error', destroyQuietly);
  const timer = setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      `${extra}Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${body.length}\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/** The destroy-after-flush and grace timer for a socket `ws` itself refused. */
export function releaseLater(socket: Duplex): void {
  if (socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

function destroyQuietly(this: Duplex): void {
  this.destroy();
}
