/**
 * A channel pattern as Phoenix writes them: `'room:*'` matches every name that starts with
 * `room:` and has at least one more character; a pattern without `*` matches itself only. A `*`
 * elsewhere matches any run of one or more characters.
 */
export class KwsChannelPattern {
  private readonly regex: RegExp | undefined;
  /** Exact patterns win over wildcards, then the longest literal part. */
  readonly specificity: number;

  constructor(readonly source: string) {
    if (source.includes('*')) {
      const body = source
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.+');
      this.regex = new RegExp(`^${body}$`, 's');
      this.specificity = source.replaceAll('*', '').length;
    } else {
      this.specificity = Number.MAX_SAFE_INTEGER;
    }
  }

  matches(channel: string): boolean {
    return this.regex ? this.regex.test(channel) : channel === this.source;
  }
}
