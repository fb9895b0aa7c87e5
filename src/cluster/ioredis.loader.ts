import type { Redis } from 'ioredis';
import { KwsError } from '../errors/kws.error.js';
import { IOREDIS_MISSING } from '../kws.messages.js';

/** The ioredis client class, loaded on first use: apps without cluster mode never need the package. */
export type RedisClass = typeof Redis;

export async function loadIoredis(): Promise<RedisClass> {
  try {
    const module = (await import('ioredis')) as unknown as {
      Redis?: RedisClass;
      default: RedisClass;
    };
    return module.Redis ?? module.default;
  } catch (error) {
    throw new KwsError(IOREDIS_MISSING, { cause: error });
  }
}
