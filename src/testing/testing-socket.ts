import { WebSocket } from 'ws';

/**
 * `ws`'s WebSocket that keeps the text of its last error ("Unexpected server response: 403"), so
 * a refused connection can say why (a browser-style close event only says 1006).
 */
export class KwsTestingSocket extends WebSocket {
  lastError: string | undefined;

  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    this.on('error', (error) => {
      this.lastError = error.message;
    });
  }
}
