import { Injectable } from '@nestjs/common';
import type { KwsModuleOptions } from '../kws-module-options.interface.js';
import type { KwsEndpointDescription } from './asyncapi-document.builder.js';

/** @internal Every `KwsModule.forRoot()` endpoint of the app, by name: what the document lists. */
@Injectable()
export class KwsEndpointCatalog {
  private readonly endpoints = new Map<string, KwsEndpointDescription>();
  private readonly served = new Set<string>();

  add(name: string, options: KwsModuleOptions): void {
    this.endpoints.set(name, { name, options });
  }

  list(): KwsEndpointDescription[] {
    return [...this.endpoints.values()];
  }

  /** Claims a document path; false when another endpoint's `asyncapi` option serves it already. */
  serve(path: string): boolean {
    if (this.served.has(path)) return false;
    this.served.add(path);
    return true;
  }
}
