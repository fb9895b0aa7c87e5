// socket.io on a plain HTTP server, websocket transport only (no long-polling fallback).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { runBenchServer } from './server-harness.js';

runBenchServer(async () => {
  const httpServer = createServer();
  const io = new Server(httpServer, { transports: ['websocket'], serveClient: false });
  io.on('connection', (socket) => {
    socket.on('echo', (data: unknown) => socket.emit('echo', data));
    // The client's emitWithAck: the handler answers through the ack callback.
    socket.on('echo-ack', (data: unknown, ack: (reply: unknown) => void) => ack(data));
    socket.on('broadcast', (data: unknown) => io.emit('m', data));
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return {
    port: (httpServer.address() as AddressInfo).port,
    broadcast: (payload) => {
      io.emit('m', payload);
    },
    close: async () => {
      io.disconnectSockets(true);
      await io.close();
    },
  };
});
