import type { KwsEventPayload } from '../../src/index.js';

/** What a fixture's listeners saw, for the test to assert on. */
export class EventLog {
  readonly events: KwsEventPayload[] = [];

  record(payload: KwsEventPayload): void {
    this.events.push(payload);
  }

  named(name: string): KwsEventPayload[] {
    return this.events.filter((event) => event.name === name);
  }

  of(uuid: string, name?: string): KwsEventPayload[] {
    return this.events.filter(
      (e) => e.socketUUID === uuid && (name === undefined || e.name === name),
    );
  }

  clear(): void {
    this.events.length = 0;
  }
}
