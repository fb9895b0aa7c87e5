import { Logger } from '@nestjs/common';
import { isObservable, lastValueFrom } from 'rxjs';
import { isExpectedRejection } from '../events/ack-error.mapper.js';
import type { KwsListener } from '../events/kws-event-payload.interface.js';
import { FailureLogLimiter } from '../events/failure.log-limiter.js';
import { nestLogsFailures } from '../events/listener-context.creator.js';
import { KwsEvent } from '../kws.constants.js';
import { CHANNEL_HANDLER_FAILED, LISTENER_FAILURES_SUPPRESSED } from '../kws.messages.js';
import type { KwsChannelPayload } from './channel.payload.js';

/** How the handlers of one channel packet ended: the first value and the first failure. */
export interface KwsChannelOutcome {
  value: unknown;
  error: unknown;
}

const logger = new Logger('KwsChannels');
/** One stack per failing handler and error per window, as for `@OnKwsEvent` listeners. */
const failureLogs = new FailureLogLimiter();

/**
 * Runs channel handlers (each already wrapped in Nest's pipeline) for one payload and settles
 * once all have. A failure is contained as for `@OnKwsEvent`: logged unless it is an answer (a
 * Nest exception) or the pipeline already logged it, and reported as an `error` event.
 */
export async function runChannelHandlers(
  listeners: readonly KwsListener[],
  payload: KwsChannelPayload,
): Promise<KwsChannelOutcome> {
  const outcomes = await Promise.all(listeners.map((listener) => runOne(listener, payload)));
  let value: unknown;
  let error: unknown;
  for (const outcome of outcomes) {
    if (value === undefined) value = outcome.value;
    if (error === undefined) error = outcome.error;
  }
  return { value, error };
}

async function runOne(
  listener: KwsListener,
  payload: KwsChannelPayload,
): Promise<KwsChannelOutcome> {
  try {
    let result = listener(payload);
    if (isObservable(result)) result = lastValueFrom(result, { defaultValue: undefined });
    return { value: await result, error: undefined };
  } catch (failure) {
    const error = failure instanceof Error ? failure : new Error(String(failure));
    if (!isExpectedRejection(failure) && !nestLogsFailures(listener)) {
      const logged = failureLogs.admit(listener, error, (count) =>
        logger.error(LISTENER_FAILURES_SUPPRESSED(payload.name, count, failureLogs.windowSeconds)),
      );
      if (logged) {
        logger.error(
          CHANNEL_HANDLER_FAILED(payload.name, payload.channel, payload.socketUUID),
          error.stack,
        );
      }
    }
    const kws = payload.kws;
    if (!isExpectedRejection(failure)) kws.context.stats?.listenerFailed();
    kws.context.dispatcher.dispatch(kws, KwsEvent.Error, payload.data, false, error);
    return { value: undefined, error: failure };
  }
}
