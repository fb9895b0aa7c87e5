// emitTo latency, client to client through the nodes: the sender's node gets ">uuid n" and calls
// emitTo(uuid); the time is taken in this process from send to the receiver's message. One
// message in flight at a time, so it is latency, not queueing.
import type { BenchSocket } from './bench-client.js';

export interface LatencyResult {
  p50: number;
  p99: number;
}

export async function measureEmitLatency(
  sender: BenchSocket,
  receiver: BenchSocket,
  samples: number,
  warmup = 200,
): Promise<LatencyResult> {
  const micros: number[] = [];
  for (let i = 0; i < warmup + samples; i++) {
    const arrived = receiver.next();
    const sentAt = performance.now();
    sender.send(`>${receiver.uuid} ${i}`);
    // A lost message fails the run (the sending node logs why) rather than hanging it.
    await Promise.race([arrived, lost(i)]);
    if (i >= warmup) micros.push((performance.now() - sentAt) * 1000);
  }
  micros.sort((a, b) => a - b);
  const at = (q: number): number =>
    micros[Math.min(micros.length - 1, Math.floor(q * micros.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

function lost(message: number): Promise<never> {
  return new Promise((_, reject) => {
    setTimeout(
      () => reject(new Error(`emitTo message ${message} did not arrive within 10 s`)),
      10_000,
    ).unref();
  });
}
