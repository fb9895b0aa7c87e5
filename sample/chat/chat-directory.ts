import { Injectable } from '@nestjs/common';

/** The Go example's `clients` map: user id -> uuid of that user's connection. */
@Injectable()
export class ChatDirectory {
  private readonly uuids = new Map<string, string>();

  join(userId: string, uuid: string): void {
    this.uuids.set(userId, uuid);
  }

  /**
   * Forgets the user only if `uuid` is still theirs: a user who reconnected (or opened a second
   * tab) before the old socket was noticed gone keeps the newer connection.
   */
  leave(userId: string, uuid: string): void {
    if (this.uuids.get(userId) === uuid) this.uuids.delete(userId);
  }

  uuidOf(userId: string): string | undefined {
    return this.uuids.get(userId);
  }
}
