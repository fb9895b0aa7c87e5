// A WebSocket that reports its state and reconnects with exponential backoff.

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5_000;

/**
 * @typedef {{ state: 'connecting' | 'open' | 'closed', code?: number, reason?: string, retryInMs?: number }} SocketState
 */

export class ChatSocket {
  /**
   * @param {string} url
   * @param {{ onState: (state: SocketState) => void, onText: (text: string) => void, onBytes: (bytes: Uint8Array) => void }} handlers
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.attempt = 0;
    this.stopped = false;
    /** @type {WebSocket | undefined} */
    this.socket = undefined;
    this.timer = undefined;
    this.open();
  }

  /** @param {string | ArrayBuffer | Uint8Array} data @returns {boolean} whether it went out */
  send(data) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(data);
    return true;
  }

  /** Closes for good (no reconnect). */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close(1000, 'Left the chat');
  }

  open() {
    this.handlers.onState({ state: 'connecting' });
    const socket = new WebSocket(this.url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.attempt = 0;
      this.handlers.onState({ state: 'open' });
    });
    socket.addEventListener('message', (event) => {
      if (typeof event.data === 'string') this.handlers.onText(event.data);
      else this.handlers.onBytes(new Uint8Array(event.data));
    });
    socket.addEventListener('close', (event) => {
      if (this.stopped) {
        this.handlers.onState({ state: 'closed', code: event.code, reason: event.reason });
        return;
      }
      // Full jitter keeps a room of pages from reconnecting in lockstep after a restart.
      const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.attempt++);
      const retryInMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
      this.handlers.onState({ state: 'closed', code: event.code, reason: event.reason, retryInMs });
      this.timer = setTimeout(() => this.open(), retryInMs);
    });
  }
}
