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
  KwsEvent,
  KwsModule,
  OnKwsEvent,
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

/** An app with one endpoint on `/ws` and the inspector (`AdminHttpGuard` unless told). */
export function inspectedApp(options: Partial<KwsModuleOptions> = {}): DynamicModule {
  @Module({
    imports: [
      KwsModule.forRoot({
        path: '/ws',
        parser: 'json',
        inspector: { guard: AdminHttpGuard, sampleInterval: 200 },
        ...options,
      }),
    ],
    providers: [InspectedListeners, AdminHttpGuard],
  })
  class InspectedAppModule {}
  return { module: InspectedAppModule };
}
