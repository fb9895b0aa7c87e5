import {
  Injectable,
  Module,
  UnauthorizedException,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
} from '@nestjs/common';
import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import {
  Kws,
  KwsChannelName,
  KwsChannels,
  KwsEvent,
  KwsModule,
  KwsPresence,
  OnKwsEvent,
  OnKwsJoin,
  type KwsEventPayload,
  type KwsModuleOptions,
} from '../../src/index.js';

/** The token the test guard accepts (header `Authorization: Bearer <token>`). */
export const ADMIN_TOKEN = 'let-me-in';

/** The app's own admin guard: 401 without credentials, false (403) with wrong ones. */
@Injectable()
export class AdminHttpGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string> }>();
    const auth = request.headers.authorization;
    if (!auth) throw new UnauthorizedException();
    return context.getType() === 'http' && auth === `Bearer ${ADMIN_TOKEN}`;
  }
}

/** Clients name themselves with `?name=`, join rooms with `join` and ask `echo` for acks. */
@Injectable()
export class InspectedListeners {
  @OnKwsEvent(KwsEvent.Connect)
  connect({ kws }: KwsEventPayload): void {
    kws.setAttribute('name', kws.query('name'));
    kws.setAttribute('profile', { plan: 'pro', since: 2024 });
  }

  @OnKwsEvent('join')
  join(@MessageBody() room: string, @ConnectedSocket() kws: Kws): string {
    kws.join(room);
    return 'joined';
  }

  @OnKwsEvent('echo')
  echo(): string {
    return 'pong';
  }
}

/**
 * Channels for the inspector: `room:*` (10 messages of history) and `plain:*` (none). A join's
 * params `{ user, meta }` are its presence key and meta (app data the page must show as text);
 * `post` `{ channel, text }` broadcasts to a channel (kept in its history).
 */
@Injectable()
export class InspectedChannels {
  constructor(
    private readonly channels: KwsChannels,
    private readonly presence: KwsPresence,
  ) {}

  @OnKwsJoin('room:*', { history: { size: 10 } })
  joinRoom(
    @ConnectedSocket() kws: Kws,
    @MessageBody() params: { user: string; meta?: object },
    @KwsChannelName() channel: string,
  ): void {
    this.presence.track(kws, channel, params.user, params.meta ?? {});
  }

  @OnKwsJoin('plain:*')
  joinPlain(): boolean {
    return true;
  }

  @OnKwsEvent('post')
  async post(@MessageBody() body: { channel: string; text: string }): Promise<string> {
    await this.channels.broadcast(body.channel, 'said', body.text);
    return 'posted';
  }
}

/**
 * An app with one endpoint on `/ws` and the inspector (`AdminHttpGuard` unless told); with
 * `channels`, the channel handlers above too.
 */
export function inspectedApp(
  options: Partial<KwsModuleOptions> = {},
  { channels = false } = {},
): DynamicModule {
  @Module({
    imports: [
      KwsModule.forRoot({
        path: '/ws',
        parser: 'json',
        inspector: { guard: AdminHttpGuard, sampleInterval: 200 },
        ...options,
      }),
    ],
    providers: [InspectedListeners, AdminHttpGuard, ...(channels ? [InspectedChannels] : [])],
  })
  class InspectedAppModule {}
  return { module: InspectedAppModule };
}
