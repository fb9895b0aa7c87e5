// nestjs-kws/testing: test your listeners with a real app on a real port and the shipped client.
export {
  KwsTestingApp,
  type KwsTestingAppOptions,
  type KwsTestingModuleLike,
} from './kws-testing.app.js';
export { KwsTestingSocket } from './testing-socket.js';
export { waitForState } from './client-state.js';
export { nextEvent } from './client-events.js';
export { KwsTestingConnectError } from './connect.error.js';
