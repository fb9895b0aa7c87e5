import {
  Catch,
  Injectable,
  Module,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
  ValidationPipe,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type DynamicModule,
  type ExceptionFilter,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { ConnectedSocket, MessageBody, WsException } from '@nestjs/websockets';
import { IsInt, IsString, Max, MinLength } from 'class-validator';
import { map, of, type Observable } from 'rxjs';
import {
  Kws,
  KwsEvent,
  KwsModule,
  KwsPayload,
  OnKwsEvent,
  type KwsEventPayload,
  type KwsModuleOptions,
} from '../../src/index.js';

/** What a guard sees, so tests can assert Nest's `ws` execution context. */
export const seenByGuard: { client?: unknown; data?: unknown; pattern?: unknown; type?: string }[] =
  [];

/** Lets a message through only when `allowUpgrade` seeded the attribute `role: 'admin'`. */
@Injectable()
export class AdminGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const ws = context.switchToWs();
    seenByGuard.push({
      client: ws.getClient(),
      data: ws.getData(),
      pattern: ws.getPattern(),
      type: context.getType(),
    });
    return ws.getClient<Kws>().getAttribute('role') === 'admin';
  }
}

/** Refuses connections whose URL has no `?token=`. */
@Injectable()
export class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToWs().getClient<Kws>().query('token') !== '';
  }
}

@Injectable()
export class UpperCaseInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next
      .handle()
      .pipe(map((value) => (typeof value === 'string' ? value.toUpperCase() : value)));
  }
}

export class Rejected extends Error {}

/** Turns a `Rejected` into the ack data `{ rescued }`. */
@Catch(Rejected)
export class RescueFilter implements ExceptionFilter {
  catch(exception: Rejected, _host: ArgumentsHost): unknown {
    return { rescued: exception.message };
  }
}

export class ChatMessage {
  @IsString()
  @MinLength(1)
  text!: string;

  @IsInt()
  @Max(10)
  priority!: number;
}

/** Records what the plain listeners saw. */
@Injectable()
export class Seen {
  readonly events: { name: string; data: unknown }[] = [];
}

@Injectable()
export class NamedEventListeners {
  constructor(private readonly seen: Seen) {}

  @OnKwsEvent('echo')
  echo({ data }: KwsEventPayload<unknown>): unknown {
    return data;
  }

  @OnKwsEvent('stream')
  stream(): Observable<number> {
    return of(1, 2, 3);
  }

  @OnKwsEvent('silent')
  silent({ name, data }: KwsEventPayload<unknown>): void {
    this.seen.events.push({ name, data });
  }

  @OnKwsEvent('slow')
  async slow({ data }: KwsEventPayload<number>): Promise<number> {
    await new Promise((resolve) => setImmediate(resolve));
    return data * 2;
  }

  @OnKwsEvent('boom')
  boom(): never {
    throw new Error('secret database password in this message');
  }

  @OnKwsEvent('refuse')
  refuse(): never {
    throw new WsException('not today');
  }

  @OnKwsEvent('reply')
  reply({ data }: KwsEventPayload<string>): { event: string; data: string } {
    return { event: 'replied', data: `re:${data}` };
  }

  @OnKwsEvent('audit', { fromClient: false })
  audit({ data }: KwsEventPayload<unknown>): void {
    this.seen.events.push({ name: 'audit', data });
  }

  @OnKwsEvent('admin')
  @UseGuards(AdminGuard)
  admin(): string {
    return 'welcome, admin';
  }

  @OnKwsEvent('chat')
  @UsePipes(new ValidationPipe({ transform: true }))
  chat(
    @MessageBody() message: ChatMessage,
    @ConnectedSocket() kws: Kws,
  ): { text: string; from: string; isDto: boolean } {
    return { text: message.text, from: kws.uuid, isDto: message instanceof ChatMessage };
  }

  @OnKwsEvent('field')
  field(
    @MessageBody('text') text: string,
    @KwsPayload() payload: KwsEventPayload<unknown>,
  ): string {
    return `${text}@${payload.name}`;
  }

  @OnKwsEvent('shout')
  @UseInterceptors(UpperCaseInterceptor)
  shout({ data }: KwsEventPayload<string>): string {
    return data;
  }

  @OnKwsEvent('rescued')
  @UseFilters(RescueFilter)
  rescued(): never {
    throw new Rejected('handled by the filter');
  }

  @OnKwsEvent('ask-client')
  async askClient({ kws, data }: KwsEventPayload<number>): Promise<unknown> {
    try {
      return { answer: await kws.request({ event: 'question', data }, { timeout: 300 }) };
    } catch (error) {
      return { failed: (error as Error).name, status: (error as { status?: number }).status };
    }
  }

  @OnKwsEvent(KwsEvent.Message)
  raw({ data, isBinary }: KwsEventPayload): void {
    this.seen.events.push({ name: 'message', data: isBinary ? [...data] : data.toString() });
  }

  @OnKwsEvent(KwsEvent.Error)
  error({ error }: KwsEventPayload<unknown>): void {
    this.seen.events.push({ name: 'error', data: error?.message });
  }
}

/** The listeners above on an endpoint with the JSON parser (options merged in). */
export function namedEventsApp(
  options: KwsModuleOptions = {},
  extra: Partial<DynamicModule> = {},
): DynamicModule {
  @Module({})
  class NamedEventsAppModule {}
  return {
    module: NamedEventsAppModule,
    imports: [
      KwsModule.forRoot({ path: '/ws', parser: 'json', ...options }),
      ...(extra.imports ?? []),
    ],
    providers: [Seen, NamedEventListeners, ...(extra.providers ?? [])],
  };
}
