import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach } from 'vitest';

/** The spans the SDK exported so far (each ended span, as an app's exporter would get it). */
export interface ExportedSpans {
  all(): ReadableSpan[];
  named(name: string): ReadableSpan[];
  one(name: string): ReadableSpan;
}

/**
 * Registers an OpenTelemetry SDK for the file, as an app's tracing setup would: a tracer provider
 * with the in-memory exporter, the AsyncLocalStorage context manager and the W3C propagator.
 */
export function useOtelSdk(): ExportedSpans {
  const exporter = new InMemorySpanExporter();
  beforeAll(() => {
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  beforeEach(() => exporter.reset());
  afterAll(() => {
    trace.disable();
    context.disable();
    propagation.disable();
  });
  const all = (): ReadableSpan[] => exporter.getFinishedSpans();
  const named = (name: string): ReadableSpan[] => all().filter((span) => span.name === name);
  return {
    all,
    named,
    one(name) {
      const found = named(name);
      if (found.length !== 1) {
        throw new Error(
          `expected one span "${name}", got ${found.length} of [${all().map((s) => s.name)}]`,
        );
      }
      return found[0];
    },
  };
}

/** The span's parent span id ('' for a root span). */
export function parentOf(span: ReadableSpan): string {
  return span.parentSpanContext?.spanId ?? '';
}
