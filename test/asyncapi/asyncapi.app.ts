import {
  Injectable,
  Module,
  UsePipes,
  ValidationPipe,
  type Type as NestType,
} from '@nestjs/common';
import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import {
  IsEnum,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { Type } from 'class-transformer';
import {
  Kws,
  KwsEmits,
  KwsEvent,
  KwsModule,
  KwsServer,
  OnKwsEndpoint,
  OnKwsEvent,
  type KwsEventPayload,
  type KwsModuleOptions,
} from '../../src/index.js';

export enum Priority {
  Low = 'low',
  High = 'high',
}

export class Attachment {
  @IsString()
  @Matches(/^https:\/\//)
  url!: string;
}

/** A DTO described by class-validator's decorators. */
export class SendMessage {
  @IsString()
  @MaxLength(20)
  room!: string;

  @IsString()
  @MaxLength(500)
  text!: string;

  @IsOptional()
  @IsEnum(Priority)
  priority?: Priority;

  @IsOptional()
  @IsInt()
  @Min(0)
  delay?: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => Attachment)
  attachment?: Attachment;
}

/** What `@ApiProperty()` of @nestjs/swagger writes (the same metadata keys and shape). */
function ApiProperty(options: Record<string, unknown> = {}): PropertyDecorator {
  return (target, key) => {
    const list = (Reflect.getMetadata('swagger/apiModelPropertiesArray', target) ?? []) as string[];
    Reflect.defineMetadata('swagger/apiModelPropertiesArray', [...list, `:${String(key)}`], target);
    const type = Reflect.getMetadata('design:type', target, key) as unknown;
    Reflect.defineMetadata('swagger/apiModelProperties', { type, ...options }, target, key);
  };
}

/** The acknowledgement of `send`, described by swagger-style metadata. */
export class Receipt {
  @ApiProperty({ description: 'Where the message went', example: 'lobby' })
  room!: string;

  @ApiProperty({ minimum: 0 })
  delivered!: number;
}

export class ChatLine {
  @IsString()
  from!: string;

  @IsString()
  text!: string;
}

/** A class without any metadata: the document says so instead of inventing fields. */
export class Opaque {
  value?: unknown;
}

@Injectable()
@KwsEmits('chat', ChatLine, { description: 'A line someone said in a room.' })
@KwsEmits('notice', { type: 'string' })
export class ChatListeners {
  constructor(readonly server: KwsServer) {}

  @OnKwsEvent('chat:send')
  @UsePipes(new ValidationPipe())
  send(@MessageBody() body: SendMessage, @ConnectedSocket() _kws: Kws): Receipt {
    return Object.assign(new Receipt(), { room: body.room, delivered: 1 });
  }

  @OnKwsEvent('typing')
  typing(@MessageBody('room') room: string, @MessageBody('on') on: boolean): string {
    return `${room}:${on}`;
  }

  @OnKwsEvent('opaque')
  opaque(@MessageBody() _body: Opaque): void {}

  @OnKwsEvent('untyped')
  untyped(_payload: KwsEventPayload): void {}

  @OnKwsEvent('internal', { fromClient: false })
  internal(): void {}

  @OnKwsEvent(KwsEvent.Connect)
  connect(): void {}
}

@Injectable()
@OnKwsEndpoint('admin')
@KwsEmits('alert', { type: 'object', properties: { level: { type: 'integer' } } })
export class AdminListeners {
  @OnKwsEvent('kick')
  kick(@MessageBody('uuid') uuid: string): string {
    return uuid;
  }
}

/** Two endpoints (one with route params and recovery); `asyncapi` on the first. */
export function asyncApiModule(asyncapi: KwsModuleOptions['asyncapi']): NestType {
  @Module({
    imports: [
      KwsModule.forRoot({ path: '/ws', parser: 'json', asyncapi }),
      KwsModule.forRoot({ name: 'admin', path: '/admin/:room', parser: 'json', recovery: {} }),
    ],
    providers: [ChatListeners, AdminListeners],
  })
  class AsyncApiAppModule {}
  return AsyncApiAppModule;
}
