// nestjs-kws/testing: test your listeners with real sockets and the shipped client.
export { waitForState } from './client-state.js';
