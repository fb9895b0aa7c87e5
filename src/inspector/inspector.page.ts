/**
 * @internal The inspection page: one self-contained HTML document (inline style, script and SVG
 * charts; nothing fetched but its own JSON API), so it works offline and under a strict CSP. Every
 * value from the server is written with `textContent`: room names and uuids come from clients.
 */
export function inspectorPage(path: string): string {
  const base = JSON.stringify(path === '/' ? '' : path).replaceAll('<', '\\u003c');
  return PAGE.replace('__BASE__', base);
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nestjs-kws inspector</title>
<style>
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:10px 16px;display:flex;flex-wrap:wrap;gap:4px 16px;align-items:baseline}
header h1{font-size:16px;margin:0}
header small{opacity:.75}
main{padding:12px;display:grid;gap:12px;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));max-width:1400px;margin:0 auto}
section{background:#fff;border-radius:8px;padding:12px;box-shadow:0 1px 2px rgba(0,0,0,.08);min-width:0}
h2{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:#5b6475;margin:0 0 8px}
.figures{display:flex;flex-wrap:wrap;gap:8px}
.figure{flex:1 1 90px;background:#f4f5f7;border-radius:6px;padding:8px}
.figure b{display:block;font-size:24px}
.figure span{color:#5b6475;font-size:12px}
table{width:100%;border-collapse:collapse;table-layout:fixed}
td,th{padding:4px 6px;border-bottom:1px solid #eceef2;text-align:left;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
th{font-weight:600;color:#5b6475;font-size:12px}
td.num,th.num{text-align:right;width:84px}
td.act{width:86px;text-align:right}
.scroll{max-height:300px;overflow:auto}
button{font:inherit;border:1px solid #c4c9d4;background:#fff;border-radius:5px;padding:3px 8px;cursor:pointer}
button.danger{border-color:#d64545;color:#b42318}
button.armed{background:#b42318;color:#fff}
form{display:flex;gap:6px;margin-bottom:8px}
input{flex:1;min-width:0;font:inherit;padding:4px 6px;border:1px solid #c4c9d4;border-radius:5px}
svg{width:100%;height:120px;display:block}
.legend{font-size:12px;color:#5b6475}
.legend i{display:inline-block;width:10px;height:3px;margin:0 4px 3px 8px;vertical-align:middle}
.muted{color:#5b6475}
#error{color:#b42318}
pre{margin:0;white-space:pre-wrap;word-break:break-all;font-size:12px}
@media (max-width:500px){#channels-section .num{width:66px}}
.pick{display:flex;gap:6px;align-items:center;margin-top:8px;font-size:12px;color:#5b6475}
select{font:inherit;min-width:0;flex:1;padding:3px 4px;border:1px solid #c4c9d4;border-radius:5px;background:#fff}
button.link{border:0;padding:0;background:none;color:#2563eb;max-width:100%;overflow:hidden;text-overflow:ellipsis}
</style>
</head>
<body>
<header><h1>nestjs-kws inspector</h1><small id="where">loading…</small><small id="error" role="alert"></small></header>
<main>
<section aria-labelledby="h-conn"><h2 id="h-conn">Connections</h2>
<div class="figures">
<div class="figure"><b id="here">–</b><span>on this node</span></div>
<div class="figure"><b id="total">–</b><span>in total</span></div>
<div class="figure"><b id="nodes">–</b><span>nodes</span></div>
<div class="figure"><b id="room-count">–</b><span>rooms</span></div>
</div>
<label class="pick" id="series-pick" hidden>Charts of <select id="series" aria-label="charts of"></select></label></section>
<section aria-labelledby="h-c1"><h2 id="h-c1">Connections <small class="series-name"></small></h2><svg id="chart-connections" role="img" aria-label="connections over time"></svg>
<div class="legend"><i style="background:#2563eb"></i>connections</div></section>
<section aria-labelledby="h-c2"><h2 id="h-c2">Messages per second <small class="series-name"></small></h2><svg id="chart-rates" role="img" aria-label="messages per second"></svg>
<div class="legend"><i style="background:#16a34a"></i>in<i style="background:#ea580c"></i>out (dashed)</div></section>
<section aria-labelledby="h-c3"><h2 id="h-c3">Ack latency (ms) <small class="series-name"></small></h2><svg id="chart-acks" role="img" aria-label="ack latency"></svg>
<div class="legend"><i style="background:#7c3aed"></i>mean<i style="background:#db2777"></i>max (dashed)</div></section>
<section aria-labelledby="h-nodes" id="nodes-section" hidden><h2 id="h-nodes">Connections per node</h2><div class="scroll"><table><thead><tr><th>node</th><th class="num">count</th></tr></thead><tbody id="per-node"></tbody></table></div></section>
<section aria-labelledby="h-rooms"><h2 id="h-rooms">Rooms</h2><div class="scroll"><table><thead><tr><th>room</th><th class="num">members</th></tr></thead><tbody id="rooms"></tbody></table></div><p class="muted" id="rooms-more"></p></section>
<section aria-labelledby="h-channels" id="channels-section" hidden><h2 id="h-channels">Channels</h2><div class="scroll"><table><thead><tr><th>channel</th><th class="num">members</th><th class="num">presence</th><th class="num">history</th></tr></thead><tbody id="channels"></tbody></table></div><p class="muted" id="channels-more"></p>
<div id="channel-detail" class="muted">Pick a channel to see its presence.</div></section>
<section aria-labelledby="h-local"><h2 id="h-local">This node's connections</h2><div class="scroll"><table><thead><tr><th>uuid</th><th class="num">rooms</th><th class="act"></th></tr></thead><tbody id="local"></tbody></table></div></section>
<section aria-labelledby="h-look"><h2 id="h-look">Look up a connection</h2>
<form id="lookup"><input id="uuid" name="uuid" placeholder="uuid" aria-label="uuid" autocomplete="off"><button>Show</button></form>
<div id="detail" class="muted">Pick a connection above or type its uuid.</div></section>
<section aria-labelledby="h-stats"><h2 id="h-stats">Counters</h2><div class="scroll"><table><tbody id="counters"></tbody></table></div></section>
</main>
<script>
"use strict";
const BASE = __BASE__;
const $ = (id) => document.getElementById(id);
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; }
function row(cells) { const tr = el('tr'); for (const c of cells) tr.append(c); return tr; }
function td(text, cls) { return el('td', text, cls); }
async function api(path, body) {
  const init = body ? { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Kws-Inspector': '1' }, body: JSON.stringify(body) } : {};
  const res = await fetch(BASE + '/api/' + path, { credentials: 'same-origin', cache: 'no-store', ...init });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.message || res.status + ' ' + res.statusText);
  return data;
}
function armed(button, action) {
  button.addEventListener('click', () => {
    if (!button.classList.contains('armed')) {
      button.classList.add('armed'); const label = button.textContent; button.textContent = 'Confirm';
      setTimeout(() => { button.classList.remove('armed'); button.textContent = label; }, 3000);
      return;
    }
    button.disabled = true;
    action().then(refresh, (e) => { $('error').textContent = e.message; }).finally(() => { button.disabled = false; });
  });
}
const NS = 'http://www.w3.org/2000/svg';
function svgText(svg, x, y, text, anchor) {
  const t = document.createElementNS(NS, 'text');
  t.setAttribute('x', String(x)); t.setAttribute('y', String(y)); t.setAttribute('font-size', '10'); t.setAttribute('fill', '#5b6475');
  if (anchor) t.setAttribute('text-anchor', anchor);
  t.textContent = text; svg.append(t);
}
function chart(svg, samples, series) {
  const w = svg.clientWidth || 300, h = 120, pad = 22, bottom = h - 14;
  svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
  svg.replaceChildren();
  let max = 1;
  for (const s of samples) for (const [key] of series) max = Math.max(max, s[key]);
  svgText(svg, 2, 10, String(Math.round(max * 100) / 100));
  const base = document.createElementNS(NS, 'line');
  base.setAttribute('x1', String(pad)); base.setAttribute('x2', String(w)); base.setAttribute('y1', String(bottom)); base.setAttribute('y2', String(bottom)); base.setAttribute('stroke', '#dfe2e8');
  svg.append(base);
  if (samples.length === 0) { svgText(svg, pad, 60, 'collecting the first sample…'); return; }
  svgText(svg, pad, h - 2, '-' + Math.round((samples[samples.length - 1].at - samples[0].at) / 1000) + ' s');
  svgText(svg, w - 2, h - 2, 'now', 'end');
  const step = samples.length > 1 ? (w - pad) / (samples.length - 1) : 0;
  series.forEach(([key, color], n) => {
    const points = samples.map((s, i) => (pad + i * step).toFixed(1) + ',' + (bottom - (s[key] / max) * (bottom - 14)).toFixed(1));
    if (points.length === 1) points.push(w.toFixed(1) + ',' + points[0].split(',')[1]);
    const line = document.createElementNS(NS, 'polyline');
    line.setAttribute('points', points.join(' ')); line.setAttribute('fill', 'none'); line.setAttribute('stroke', color); line.setAttribute('stroke-width', '2');
    // The second series dashed: in and out are often equal (an echo), and one would hide the other.
    if (n > 0) line.setAttribute('stroke-dasharray', '5 4');
    svg.append(line);
  });
}
function flat(prefix, value, out) {
  if (value && typeof value === 'object') { for (const [k, v] of Object.entries(value)) flat(prefix ? prefix + '.' + k : k, v, out); }
  else out.push([prefix, value]);
  return out;
}
let lastState;
let openChannel = '';
// Cluster mode: the series the charts draw ('total', or a node id), kept across refreshes.
function pickSeries(state) {
  const pick = $('series-pick'), select = $('series');
  pick.hidden = !state.series;
  if (!state.series) return;
  const wanted = ['total', ...state.series.nodes.map((n) => n.node)];
  const have = Array.from(select.options, (o) => o.value);
  if (wanted.join() === have.join()) return;
  const chosen = select.value;
  select.replaceChildren(el('option', 'cluster (every node added up)'), ...state.series.nodes.map((n) => el('option', (n.node === state.node ? 'this node: ' : 'node ') + n.node)));
  wanted.forEach((value, i) => { select.options[i].value = value; });
  select.value = wanted.includes(chosen) ? chosen : 'total';
}
function chosenSamples() {
  const series = lastState.series;
  if (!series) return { name: 'this node', samples: lastState.samples };
  const value = $('series').value;
  if (value === 'total') return { name: 'cluster', samples: series.total };
  const node = series.nodes.find((n) => n.node === value);
  return { name: 'node ' + value.slice(0, 8), samples: node ? node.samples : [] };
}
function renderChannels(state) {
  const channels = state.channels;
  $('channels-section').hidden = !channels;
  if (!channels) return;
  $('channels').replaceChildren(...channels.shown.map((c) => {
    const show = el('button', c.name, 'link'); show.type = 'button'; show.dataset.channel = c.name;
    show.addEventListener('click', () => { openChannel = c.name; showChannel(); });
    const cell = el('td'); cell.append(show);
    return row([cell, td(c.members, 'num'), td(c.presence, 'num'), td(c.history === null ? '–' : c.history, 'num')]);
  }));
  $('channels-more').textContent = channels.count > channels.shown.length ? 'First ' + channels.shown.length + ' of ' + channels.count + ' channels.' : (channels.count === 0 ? 'No channel has members.' : '');
  if (openChannel) showChannel();
}
async function showChannel() {
  const detail = $('channel-detail');
  try {
    const c = await api('channel?name=' + encodeURIComponent(openChannel));
    const keys = el('table'); const body = el('tbody'); keys.append(body);
    // Metas are the app's data: written as text (JSON), never as HTML.
    for (const k of c.presence.shown) {
      const cell = el('td');
      for (const meta of k.metas) cell.append(el('pre', JSON.stringify(meta)));
      if (k.more > 0) cell.append(el('span', '+' + k.more + ' more', 'muted'));
      body.append(row([td(k.key), cell]));
    }
    const more = c.presence.keys - c.presence.shown.length;
    detail.className = '';
    detail.replaceChildren(el('p', c.name + ' · ' + c.members + ' members · ' + c.presence.keys + ' presence keys' + (c.history === null ? '' : ' · ' + c.history + ' kept')), keys, el('p', more > 0 ? 'and ' + more + ' more keys' : '', 'muted'));
  } catch (e) { detail.className = 'muted'; detail.replaceChildren(el('p', e.message)); }
}
function render(state) {
  lastState = state;
  $('error').textContent = '';
  $('where').textContent = (state.node ? 'node ' + state.node + ' · ' : '') + 'updated ' + new Date(state.at).toLocaleTimeString();
  $('here').textContent = state.connections.here;
  $('total').textContent = state.connections.total;
  $('nodes').textContent = state.nodes;
  $('room-count').textContent = state.rooms.count;
  $('nodes-section').hidden = !state.perNode;
  $('per-node').replaceChildren(...(state.perNode || []).map((n) => row([td((n.node === state.node ? 'this: ' : '') + n.node), td(n.connections, 'num')])));
  $('rooms').replaceChildren(...state.rooms.shown.map((r) => row([td(r.name), td(r.size, 'num')])));
  renderChannels(state);
  pickSeries(state);
  $('rooms-more').textContent = state.rooms.count > state.rooms.shown.length ? 'First ' + state.rooms.shown.length + ' of ' + state.rooms.count + ' rooms.' : '';
  $('local').replaceChildren(...state.local.map((c) => {
    const show = el('button', c.uuid, 'link'); show.type = 'button';
    show.addEventListener('click', () => { $('uuid').value = c.uuid; lookup(); });
    const uuidCell = el('td'); uuidCell.append(show);
    const close = el('button', 'Close', 'danger'); close.type = 'button'; close.dataset.close = c.uuid;
    armed(close, () => api('close', { uuid: c.uuid }));
    const act = el('td', undefined, 'act'); act.append(close);
    return row([uuidCell, td(c.rooms, 'num'), act]);
  }));
  $('counters').replaceChildren(...flat('', state.stats, []).map(([k, v]) => row([td(k), td(v, 'num')])));
  drawCharts();
}
function drawCharts() {
  if (!lastState) return;
  const { name, samples: s } = chosenSamples();
  for (const label of document.querySelectorAll('.series-name')) label.textContent = '(' + name + ')';
  chart($('chart-connections'), s, [['connections', '#2563eb']]);
  chart($('chart-rates'), s, [['inPerSecond', '#16a34a'], ['outPerSecond', '#ea580c']]);
  chart($('chart-acks'), s, [['ackMeanMs', '#7c3aed'], ['ackMaxMs', '#db2777']]);
}
async function lookup() {
  const uuid = $('uuid').value.trim();
  if (!uuid) return;
  const detail = $('detail');
  try {
    const c = await api('connection?uuid=' + encodeURIComponent(uuid));
    const rooms = el('table'); const body = el('tbody'); rooms.append(body);
    for (const room of c.rooms) {
      const leave = el('button', 'Leave', 'danger'); leave.type = 'button'; leave.dataset.leave = room;
      armed(leave, () => api('leave', { uuid: c.uuid, room }).then(lookup));
      const act = el('td', undefined, 'act'); act.append(leave);
      body.append(row([td(room), act]));
    }
    const attrs = el('table'); const abody = el('tbody'); attrs.append(abody);
    for (const [k, v] of Object.entries(c.attributes)) { const cell = el('td'); cell.append(el('pre', v)); abody.append(row([td(k), cell])); }
    const close = el('button', 'Close connection', 'danger'); close.type = 'button';
    armed(close, () => api('close', { uuid: c.uuid }).then(() => { detail.replaceChildren(el('p', 'Closed ' + c.uuid)); }));
    detail.className = '';
    const channels = el('p', (c.channels || []).join(', ') || 'none');
    channels.dataset.channels = '';
    detail.replaceChildren(el('p', c.uuid + ' · ' + c.state + ' · ' + c.ip + (c.node ? ' · node ' + c.node : '')), el('h2', 'Rooms (' + c.rooms.length + ')'), rooms, el('h2', 'Channels (' + (c.channels || []).length + ')'), channels, el('h2', 'Attributes'), attrs, close);
  } catch (e) { detail.className = 'muted'; detail.replaceChildren(el('p', e.message)); }
}
$('series').addEventListener('change', drawCharts);
$('lookup').addEventListener('submit', (e) => { e.preventDefault(); lookup(); });
async function refresh() {
  try { render(await api('state')); } catch (e) { $('error').textContent = e.message; }
}
window.addEventListener('resize', drawCharts);
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
`;
