// The OpenTelemetry semantic-convention names nestjs-kws uses, copied here as the
// @opentelemetry/semantic-conventions README asks of instrumentations (the messaging ones are
// still "incubating"): messaging spans as published in @opentelemetry/semantic-conventions 1.45.0.

export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const ATTR_MESSAGING_MESSAGE_BODY_SIZE = 'messaging.message.body.size';
export const ATTR_ERROR_TYPE = 'error.type';

/** The instrumentation scope of every nestjs-kws span. */
export const TRACER_NAME = 'nestjs-kws';

/** `messaging.system` of every nestjs-kws span (a system-specific value, as the conventions allow). */
export const MESSAGING_SYSTEM = 'kws';

// nestjs-kws' own attributes (the `kws.` namespace).
export const ATTR_KWS_CONNECTION = 'kws.connection.uuid';
export const ATTR_KWS_ENDPOINT = 'kws.endpoint';
export const ATTR_KWS_LISTENERS = 'kws.listeners';
export const ATTR_KWS_ACK_STATUS = 'kws.ack.status';
export const ATTR_KWS_OUTCOME = 'kws.connect.outcome';
export const ATTR_KWS_CLOSE_CODE = 'kws.close.code';
export const ATTR_KWS_RESUME = 'kws.connect.resume';
export const ATTR_KWS_NODE = 'kws.node';
