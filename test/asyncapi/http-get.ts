import { get } from 'node:http';

/** What a GET returned. */
export interface HttpResult {
  status: number;
  type: string;
  text: string;
}

/**
 * A GET on a fresh connection (no keep-alive socket the server may be closing meanwhile), with the
 * `Host` header of our choosing (fetch does not let a caller set it).
 */
export function httpGet(
  port: number,
  path: string,
  host = `127.0.0.1:${port}`,
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          type: String(response.headers['content-type'] ?? ''),
          text,
        }),
      );
    }).on('error', reject);
  });
}
