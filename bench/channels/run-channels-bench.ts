// `node .out/bench/channels/run-channels-bench.js` (after `npm run build && npm run build:sample`):
// joins per server-CPU second, the presence diff fan-out of a 1,000-member channel under 10 %
// churn, and history reads per server-CPU second. The server runs in a process of its own; its
// CPU (user + system) is read before and after each step.
import { fork } from 'node:child_process';
import { WebSocket } from 'ws';
import { IpcPeer } from '../ipc.js';

interface Member {
  socket: WebSocket;
  packets: Record<string, any>[];
  next: number;
  waiting: Map<number, () => void>;
}

const MEMBERS = Number(process.env.MEMBERS ?? 1000);

async function open(port: number): Promise<Member> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  const member: Member = { socket, packets: [], next: 0, waiting: new Map() };
  socket.on('message', (data) => {
    const packet = JSON.parse(data.toString()) as Record<string, any>;
    if (typeof packet.ack === 'number') {
      member.waiting.get(packet.ack)?.();
      member.waiting.delete(packet.ack);
    } else member.packets.push(packet);
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return member;
}

function ask(member: Member, packet: Record<string, unknown>): Promise<void> {
  const id = ++member.next;
  return new Promise((resolve) => {
    member.waiting.set(id, resolve);
    member.socket.send(JSON.stringify({ ...packet, id }));
  });
}

async function inBatches<T>(
  items: T[],
  size: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

const child = fork(new URL('./channels-server.js', import.meta.url), [], { stdio: 'inherit' });
const server = new IpcPeer('channels server', child);
await new Promise((resolve) => setTimeout(resolve, 0));
const port = await server.call<number>('port');
const cpu = () => server.call<number>('cpu');
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

const members: Member[] = [];
for (let i = 0; i < MEMBERS; i += 100) {
  members.push(
    ...(await Promise.all(Array.from({ length: Math.min(100, MEMBERS - i) }, () => open(port)))),
  );
}

// 1. Joins: 10 channels per connection for 200 connections (no presence, no history).
const joiners = members.slice(0, 200);
let before = await cpu();
await inBatches(joiners, 50, async (member) => {
  await Promise.all(
    Array.from({ length: 10 }, (_, j) =>
      ask(member, { channel: `solo:${member.next}-${j}`, event: 'kws:join' }),
    ),
  );
});
const joinMicros = (await cpu()) - before;
const joins = joiners.length * 10;

// 2. Presence: MEMBERS join one channel (each tracked under its own user), then 10 % leave and
//    join again; every member receives the diffs.
await inBatches(members, 100, (member) =>
  ask(member, {
    channel: 'room:big',
    event: 'kws:join',
    data: { user: `u${members.indexOf(member)}` },
  }),
);
await settle();
const diffsBefore = members.reduce(
  (n, m) => n + m.packets.filter((p) => p.event === 'kws:presence_diff').length,
  0,
);
before = await cpu();
const churn = members.slice(0, Math.round(MEMBERS / 10));
await inBatches(churn, 100, (member) => ask(member, { channel: 'room:big', event: 'kws:leave' }));
await inBatches(churn, 100, (member) =>
  ask(member, {
    channel: 'room:big',
    event: 'kws:join',
    data: { user: `again-${members.indexOf(member)}` },
  }),
);
await settle();
const churnMicros = (await cpu()) - before;
const diffPackets =
  members.reduce((n, m) => n + m.packets.filter((p) => p.event === 'kws:presence_diff').length, 0) -
  diffsBefore;
const changes = churn.length * 2;

// 3. History reads: 2,000 reads of the newest 50 of 100 kept messages.
await server.call('fill', { channel: 'room:big', count: 100 });
await settle();
const reader = members[MEMBERS - 1];
before = await cpu();
await inBatches(
  Array.from({ length: 2000 }, (_, i) => i),
  100,
  () => ask(reader, { channel: 'room:big', event: 'kws:history', data: { limit: 50 } }),
);
const readMicros = (await cpu()) - before;

const perCpuSecond = (n: number, micros: number) =>
  Math.round(n / (micros / 1e6)).toLocaleString('en-US');
console.log(`| measure | result |
| --- | --- |
| joins per server-CPU second (${joins} joins, no presence) | ${perCpuSecond(joins, joinMicros)} |
| presence churn: ${changes} changes (10 % of ${MEMBERS} leave and rejoin) | ${(churnMicros / 1000).toFixed(0)} ms server CPU, ${diffPackets.toLocaleString('en-US')} diff packets to members (${(diffPackets / MEMBERS).toFixed(1)} per member, vs ${changes} with one per change) |
| history reads per server-CPU second (limit 50 of 100 kept) | ${perCpuSecond(2000, readMicros)} |`);

for (const member of members) member.socket.terminate();
await server.call('stop').catch(() => undefined);
