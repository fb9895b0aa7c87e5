import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { parentOf } from './otel-sdk.js';

const KINDS = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const SHOWN = [
  'messaging.operation.type',
  'messaging.destination.name',
  'messaging.message.id',
  'kws.ack.status',
];

function micros(time: [number, number]): number {
  return time[0] * 1e6 + time[1] / 1e3;
}

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * One trace's spans as an HTML waterfall (what a tracing UI shows): one row per span, indented
 * under its parent, a bar from its start to its end; `where` names the process of each span.
 * Spans whose parent came over the wire start a clock of their own (the SDK anchors each to
 * `Date.now()`), so bars of different hops may be off by up to a millisecond, as in any UI.
 */
export function traceWaterfall(
  spans: readonly ReadableSpan[],
  where: (span: ReadableSpan) => string,
): string {
  const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
  const depth = (span: ReadableSpan): number =>
    byId.has(parentOf(span)) ? 1 + depth(byId.get(parentOf(span))!) : 0;
  // Depth first, as a tracing UI lists them: each span under its parent, siblings by start.
  const byStart = [...spans].sort((a, b) => micros(a.startTime) - micros(b.startTime));
  const ordered: ReadableSpan[] = [];
  const visit = (span: ReadableSpan): void => {
    ordered.push(span);
    for (const child of byStart) if (parentOf(child) === span.spanContext().spanId) visit(child);
  };
  for (const span of byStart) if (!byId.has(parentOf(span))) visit(span);
  const start = Math.min(...ordered.map((span) => micros(span.startTime)));
  const end = Math.max(...ordered.map((span) => micros(span.endTime)));
  const total = Math.max(end - start, 1);
  const rows = ordered.map((span) => {
    // 85% of the lane: room for the duration after the last bar.
    const left = ((micros(span.startTime) - start) / total) * 85;
    const width = Math.max(((micros(span.endTime) - micros(span.startTime)) / total) * 85, 0.4);
    const attributes = SHOWN.filter((key) => span.attributes[key] !== undefined)
      .map((key) => `${key}=${String(span.attributes[key])}`)
      .join('  ');
    const duration = (micros(span.endTime) - micros(span.startTime)).toFixed(0);
    return `<div class="row">
  <div class="label" style="padding-left:${depth(span) * 18 + 8}px">
    <b>${escape(span.name)}</b> <span class="kind">${KINDS[span.kind]}</span>
    <span class="where">${escape(where(span))}</span>
    <div class="attrs">${escape(attributes)}</div>
  </div>
  <div class="lane"><div class="bar ${escape(where(span).split(' ')[0])}" style="left:${left}%;width:${width}%"></div>
  <span class="duration" style="left:calc(${left + width}% + 6px)">${duration} µs</span></div>
</div>`;
  });
  const traceId = ordered[0]?.spanContext().traceId ?? '';
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body { font: 13px system-ui, sans-serif; margin: 16px; color: #1d2330; width: 1100px; }
h1 { font-size: 16px; margin: 0 0 4px; } .trace { color: #667; margin-bottom: 12px; font-family: monospace; }
.row { display: flex; border-top: 1px solid #e3e6ee; min-height: 46px; align-items: center; }
.label { width: 470px; flex: none; } .kind { font-size: 11px; color: #556; background: #eef0f5; padding: 1px 5px; border-radius: 3px; }
.where { font-size: 11px; color: #fff; background: #4a6fa5; padding: 1px 5px; border-radius: 3px; }
.attrs { font-family: monospace; font-size: 11px; color: #667; margin-top: 3px; }
.lane { position: relative; flex: 1; height: 18px; }
.bar { position: absolute; height: 18px; border-radius: 3px; background: #4a6fa5; }
.bar.node { background: #4a6fa5; } .bar.client { background: #7a8a99; }
.duration { position: absolute; font-size: 11px; color: #556; top: 1px; white-space: nowrap; }
</style></head><body><h1>One trace across a client and two nestjs-kws nodes</h1>
<div class="trace">trace ${traceId} · ${ordered.length} spans · ${(total / 1000).toFixed(2)} ms</div>
${rows.join('\n')}
</body></html>`;
}
