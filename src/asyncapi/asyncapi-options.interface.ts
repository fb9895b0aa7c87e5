/** The `asyncapi` option of `KwsModule.forRoot()`: serves the app's AsyncAPI 3.0 document. */
export interface KwsAsyncApiOptions {
  /**
   * URL path of the JSON document on the app's HTTP server, ending in `.json`; the same document
   * as YAML is served beside it (`.yaml`). Default `/asyncapi.json`.
   */
  path?: string;
  /** The document's `info.title`. Default `'nestjs-kws API'`. */
  title?: string;
  /** The document's `info.version` (your API's version). Default `'1.0.0'`. */
  version?: string;
  /** The document's `info.description`. */
  description?: string;
}

/** What `KwsAsyncApi.document()` takes: the `info` fields, and where clients connect. */
export interface KwsAsyncApiDocumentOptions extends Omit<KwsAsyncApiOptions, 'path'> {
  /**
   * `host[:port]` clients connect to (the document's `servers`). The served document uses the
   * request's `Host`; without one the document has no `servers`.
   */
  host?: string;
  /** `'ws'` (default) or `'wss'`. */
  protocol?: 'ws' | 'wss';
}

/** An AsyncAPI 3.0 document as plain JSON data. */
export interface KwsAsyncApiDocument {
  asyncapi: '3.0.0';
  info: { title: string; version: string; description?: string };
  [key: string]: unknown;
}

export const DEFAULT_ASYNCAPI_PATH = '/asyncapi.json';
