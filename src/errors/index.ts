export * from './kws.error.js';
export * from './kws-invalid-connection.error.js';
export * from './kws-uuid-duplication.error.js';
export * from './kws-disconnect.error.js';
export * from './kws-cluster-unavailable.error.js';
export * from './kws-timeout.error.js';
export * from './kws-ack.error.js';
export * from './kws-protocol.error.js';
