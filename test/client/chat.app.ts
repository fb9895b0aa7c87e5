import {
  Controller,
  ForbiddenException,
  Get,
  Header,
  Injectable,
  Module,
  UseGuards,
  type CanActivate,
  type DynamicModule,
} from '@nestjs/common';
import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import {
  KwsEvent,
  KwsModule,
  OnKwsEvent,
  type Kws,
  type KwsEventPayload,
  type KwsModuleOptions,
} from '../../src/index.js';

/** What the server sends (and asks) a client. */
export interface ServerEvents {
  said(message: { from: string; text: string }): void;
  /** A server request: the client's handler returns the answer. */
  question(text: string): string;
}

/** What a client sends (and asks) the server. */
export interface ClientEvents {
  say(text: string): void;
  whoami(): string;
  double(n: number): number;
  admin(): void;
  crash(): void;
  /** The server asks the sender `question` and acknowledges with the answer. */
  quiz(text: string): string;
}

/** Refuses everyone: what a guard's refusal looks like to a client (error ack 403). */
class DenyAll implements CanActivate {
  canActivate(): boolean {
    throw new ForbiddenException('Admins only');
  }
}

/** Who may chat (a test overrides it through @nestjs/testing). */
@Injectable()
export class Moderation {
  isBanned(user: string): boolean {
    return user === 'banned';
  }
}

@Injectable()
export class ChatListeners {
  constructor(private readonly moderation: Moderation) {}

  @OnKwsEvent(KwsEvent.Connect)
  connect({ kws }: KwsEventPayload): void {
    kws.setAttribute('user', kws.params('user'));
    // A banned user is refused once connected: close code 4003, which the client does not retry.
    if (this.moderation.isBanned(kws.params('user'))) kws.close(4003, 'Banned');
  }

  /** Frames that are not packets: answered raw, `raw:<text>`. */
  @OnKwsEvent(KwsEvent.Message)
  raw({ kws, data }: KwsEventPayload): void {
    kws.emit(`raw:${data.toString()}`);
  }

  @OnKwsEvent('say')
  say(@MessageBody() text: string, @ConnectedSocket() kws: Kws): void {
    const message = { from: kws.getStringAttribute('user'), text };
    void kws.broadcast({ event: 'said', data: message });
  }

  @OnKwsEvent('whoami')
  whoami({ kws }: KwsEventPayload): string {
    return kws.getStringAttribute('user');
  }

  @OnKwsEvent('double')
  double(@MessageBody() n: number): number {
    return n * 2;
  }

  @OnKwsEvent('admin')
  @UseGuards(DenyAll)
  admin(): string {
    return 'never';
  }

  @OnKwsEvent('crash')
  crash(): void {
    throw new Error('a secret stack detail');
  }

  @OnKwsEvent('quiz')
  quiz(@MessageBody() text: string, @ConnectedSocket() kws: Kws): Promise<string> {
    return kws.request<string>({ event: 'question', data: text }, { timeout: 2_000 });
  }
}

/** A blank page, so browser tests run on the app's origin (Chromium keeps other pages off loopback). */
@Controller()
class BlankPage {
  @Get()
  @Header('content-type', 'text/html')
  page(): string {
    return '<!doctype html><title>kws client</title>';
  }
}

/** The chat app of the client integration tests: named events on `/ws/:user`. */
export function chatApp(options: Partial<KwsModuleOptions> = {}): DynamicModule {
  @Module({})
  class ChatAppModule {}
  return {
    module: ChatAppModule,
    controllers: [BlankPage],
    imports: [KwsModule.forRoot({ parser: 'json', path: '/ws/:user', ...options })],
    providers: [Moderation, ChatListeners],
  };
}
