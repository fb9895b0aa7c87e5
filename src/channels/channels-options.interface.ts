/** Option `channels` of `KwsModule.forRoot()`: the bounds of what a client may ask for. */
export interface KwsChannelsOptions {
  /** Longest channel name, in characters. Default 128. */
  maxNameLength?: number;
  /** Channels one connection may be in (or joining) at once. Default 100. */
  maxPerConnection?: number;
  /** Largest presence meta, in bytes of its JSON. Default 1,024. */
  maxMetaBytes?: number;
}
