/**
 * An event map: one method per event, its parameter the payload, its return type the
 * acknowledgement (socket.io's `Server<…>` generics style):
 *
 *     interface ClientEvents { chat(message: { text: string }): void; join(room: string): string[] }
 *
 * The same interface types the server's listeners and the client's calls.
 */
export type KwsEventMap = object;

/** Any event name, any payload: what an untyped client accepts. */
export interface KwsAnyEvents {
  [event: string]: (data?: any) => any;
}

/** The event names of a map. */
export type KwsEventName<M> = keyof M & string;

/** The payload of an event (`undefined` for an event declared without a parameter). */
export type KwsEventData<F> = KwsEventArgs<F> extends [] ? undefined : KwsEventArgs<F>[0];

/** The arguments after the event name: `[]` for an event without payload, else `[data]`. */
export type KwsEventArgs<F> = F extends (...args: infer A) => any ? A : never;

/** The arguments of `request` after the event name: the payload (if any), then the options. */
export type KwsRequestArgs<F, O> =
  [] extends KwsEventArgs<F>
    ? [data?: KwsEventArgs<F>[0], options?: O]
    : [data: KwsEventArgs<F>[0], options?: O];

/** The acknowledgement of an event: what the handler on the other side returns. */
export type KwsEventReply<F> = F extends (...args: any[]) => infer R ? Awaited<R> : never;
