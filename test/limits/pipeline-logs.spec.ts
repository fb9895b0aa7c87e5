import {
  BadRequestException,
  Catch,
  Injectable,
  Module,
  UseFilters,
  ValidationPipe,
  type ExceptionFilter,
  type LoggerService,
} from '@nestjs/common';
import { MessageBody, WsException } from '@nestjs/websockets';
import { IsString } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { KwsModule, OnKwsEvent } from '../../src/index.js';
import { startApp } from '../helpers/start-app.js';
import { useRunningApp } from '../helpers/app-session.js';
import { PacketClient } from '../helpers/packet-client.js';

class ChatDto {
  @IsString()
  text!: string;
}

class Recoverable extends Error {}

@Catch(Recoverable)
class RecoverFilter implements ExceptionFilter {
  catch(): string {
    return 'recovered';
  }
}

/** With a global ValidationPipe, every listener below runs through Nest's pipeline. */
@Injectable()
class FailingListeners {
  @OnKwsEvent('boom')
  boom(): never {
    throw new Error('database down');
  }

  @OnKwsEvent('ws')
  ws(): never {
    throw new WsException('not in this room');
  }

  @OnKwsEvent('http')
  http(): never {
    throw new BadRequestException('bad room');
  }

  @OnKwsEvent('chat')
  chat(@MessageBody() dto: ChatDto): string {
    return dto.text;
  }

  @OnKwsEvent('filtered')
  @UseFilters(RecoverFilter)
  filtered(): never {
    throw new Recoverable('handled by a filter');
  }
}

@Module({
  imports: [KwsModule.forRoot({ path: '/ws', parser: 'json' })],
  providers: [FailingListeners],
})
class FailingApp {}

/** Every line Nest's Logger prints, with its context. */
class CapturingLogger implements LoggerService {
  readonly errors: Array<{ context: unknown; text: string }> = [];
  error(message: unknown, ...rest: unknown[]): void {
    const text =
      message instanceof Error ? `${message.message}\n${message.stack}` : String(message);
    this.errors.push({ context: rest.at(-1), text: [text, ...rest].join('\n') });
  }
  log(): void {}
  warn(): void {}
}

describe('pipeline failures and the log', () => {
  const session = useRunningApp();

  it('logs one stack per failing listener and error per window, and none for a WsException or an HttpException', async () => {
    const logger = new CapturingLogger();
    session.running = await startApp(FailingApp, 'express', (app) => {
      app.useGlobalPipes(new ValidationPipe());
      app.useLogger(logger);
    });
    const client = await PacketClient.open(session.running.wsUrl('/ws'));
    session.clients.push(client.raw);

    for (let i = 0; i < 50; i++) {
      expect(await client.ask('boom')).toMatchObject({
        error: { message: 'Internal error', status: 500 },
      });
      expect(await client.ask('ws')).toMatchObject({
        error: { message: 'not in this room', status: 400 },
      });
      expect(await client.ask('http')).toMatchObject({
        error: { message: 'bad room', status: 400 },
      });
      expect(await client.ask('chat', { text: 42 })).toMatchObject({
        error: { message: 'text must be a string', status: 400 },
      });
    }
    // Exception filters still apply; what they return is the answer.
    expect(await client.ask('filtered')).toMatchObject({ data: 'recovered' });
    expect(await client.ask('chat', { text: 'hi' })).toMatchObject({ data: 'hi' });

    const lines = logger.errors.map((line) => line.text);
    expect(lines.filter((line) => line.includes('database down'))).toHaveLength(1);
    expect(lines.filter((line) => line.includes('not in this room'))).toHaveLength(0);
    expect(lines.filter((line) => line.includes('bad room'))).toHaveLength(0);
    expect(lines.filter((line) => line.includes('must be a string'))).toHaveLength(0);
    expect(logger.errors.filter((line) => line.context === 'ExceptionsHandler')).toHaveLength(0);
    expect(logger.errors).toHaveLength(1);
  });
});
