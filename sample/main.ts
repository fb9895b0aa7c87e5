import { createApp } from './create-app.js';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';

const app = await createApp();
// Ctrl+C closes every socket with 1001, so open pages see the restart and reconnect.
app.enableShutdownHooks();
await app.listen(port, host);
console.log(`Chat sample on http://${host}:${port}/ (sockets on ws://${host}:${port}/ws/:id)`);
