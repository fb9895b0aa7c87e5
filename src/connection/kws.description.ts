import { KwsState, type Kws } from './kws.js';

/** What the inspector shows of one connection (JSON-safe: it may cross to another node). */
export interface KwsConnectionDescription {
  uuid: string;
  /** The node holding it (cluster mode), or null. */
  node: string | null;
  /** 'connected', 'suspended'...: the name of its `KwsState`. */
  state: string;
  ip: string;
  rooms: string[];
  /** Each attribute as a JSON preview of at most 200 characters. */
  attributes: Record<string, string>;
}

const ATTRIBUTE_PREVIEW = 200;
const STATE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(KwsState).map(([name, value]) => [value, name.toLowerCase()]),
);

/** @internal Describes a connection for the inspector, on the node that holds it. */
export function describeKws(kws: Kws, node: string | null): KwsConnectionDescription {
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(kws.attributesSnapshot())) {
    attributes[key] = preview(value);
  }
  return {
    uuid: kws.uuid,
    node,
    state: STATE_NAMES[kws.state] ?? String(kws.state),
    ip: kws.ip,
    rooms: kws.rooms(),
    attributes,
  };
}

/** A short, JSON-like text of an attribute value; never throws (cycles, BigInt, getters). */
function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = `[${typeof value}]`;
  }
  return text.length > ATTRIBUTE_PREVIEW ? `${text.slice(0, ATTRIBUTE_PREVIEW)}…` : text;
}
