/**
 * The attributes of a session as they travel between nodes: each value that JSON can carry goes
 * (as JSON.stringify would write it: a Date becomes its ISO string, a class instance a plain
 * object, a Map `{}`); one that it cannot (a function, a symbol, undefined, a BigInt, a cycle)
 * is left out, so one odd value never costs the others.
 */
export function snapshotAttributes(
  attributes: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const snapshot: Record<string, unknown> = {};
  for (const key of Object.keys(attributes)) {
    try {
      const json = JSON.stringify(attributes[key]);
      if (json !== undefined) snapshot[key] = JSON.parse(json);
    } catch {
      // Not JSON-serializable: stays on the node where it was set.
    }
  }
  return snapshot;
}
