import {
  ForbiddenException,
  Injectable,
  Module,
  UseGuards,
  UsePipes,
  ValidationPipe,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
} from '@nestjs/common';
import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import { IsString, Length } from 'class-validator';
import {
  Kws,
  KwsChannelName,
  KwsChannels,
  KwsModule,
  KwsPayload,
  KwsPresence,
  OnKwsChannelEvent,
  OnKwsEvent,
  OnKwsJoin,
  OnKwsLeave,
  type KwsChannelPayload,
  type KwsModuleOptions,
} from '../../src/index.js';

/** The types of a `room:*` channel, shared by the server below and the client specs. */
export interface RoomChannel {
  params: { name: string };
  reply: { topic: string };
  server: { said(message: { from: string; text: string }): void };
  client: { say(message: { text: string }): { ok: true } };
}

export class JoinParams {
  @IsString()
  @Length(1, 20)
  name!: string;
}

/** Lets an `admin:*` join through only for `?role=admin`. */
@Injectable()
export class AdminOnly implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToWs().getClient<Kws>().query('role') === 'admin';
  }
}

/** Every join the `room:*` handler ran: `<uuid> <channel>`. */
export const joins: string[] = [];

/** Every leave a handler saw, in order: `<uuid> <channel> <reason>`. */
export const leaves: string[] = [];

@Injectable()
export class RoomHandlers {
  constructor(
    private readonly channels: KwsChannels,
    private readonly presence: KwsPresence,
  ) {}

  @OnKwsJoin('room:*')
  @UsePipes(new ValidationPipe())
  join(
    @ConnectedSocket() kws: Kws,
    @MessageBody() params: JoinParams,
    @KwsChannelName() channel: string,
  ): RoomChannel['reply'] | false {
    joins.push(`${kws.uuid} ${channel}`);
    if (channel === 'room:closed') throw new ForbiddenException('This room is closed');
    if (channel === 'room:nobody') return false;
    kws.setAttribute('name', params.name);
    this.presence.track(kws, channel, params.name, { tab: kws.query('tab') || '1' });
    return { topic: channel };
  }

  @OnKwsJoin('admin:*')
  @UseGuards(AdminOnly)
  adminJoin(): boolean {
    return true;
  }

  @OnKwsChannelEvent<RoomChannel>('room:*', 'say')
  say(
    @ConnectedSocket() kws: Kws,
    @MessageBody() message: { text: string },
    @KwsChannelName() channel: string,
  ): { ok: true } {
    void this.channels
      .to<RoomChannel>(channel)
      .emit('said', { from: kws.getStringAttribute('name'), text: message.text });
    return { ok: true };
  }

  @OnKwsLeave('room:*')
  left(@KwsPayload() payload: KwsChannelPayload): void {
    leaves.push(
      `${payload.socketUUID} ${payload.channel} ${(payload.data as { reason: string }).reason}`,
    );
  }

  /** `log:*` keeps its last 3 messages, `ttl:*` those of the last 300 ms. */
  @OnKwsJoin('log:*', { history: { size: 3 } })
  logJoin(): boolean {
    return true;
  }

  @OnKwsJoin('ttl:*', { history: { ttl: 300 } })
  ttlJoin(): boolean {
    return true;
  }

  /** A connection-level event of the same name as a channel event: the two never meet. */
  @OnKwsEvent('say')
  connectionSay(): string {
    return 'connection-level say';
  }
}

@Module({ providers: [RoomHandlers, AdminOnly] })
class RoomsModule {}

export function channelsApp(options: KwsModuleOptions = {}): DynamicModule {
  return {
    module: class ChannelsAppModule {},
    imports: [KwsModule.forRoot({ path: '/ws', parser: 'json', ...options }), RoomsModule],
  };
}
