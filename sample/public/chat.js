// The chat page: joins as a user, shows who is online, sends text and bytes, shows what arrives.
import { checksum, doodle, imageType } from './bytes.js';
// The shipped client (nestjs-kws/client), served by the sample from dist/client.
import { KwsClient } from '/kws-client/index.js';
// Rooms as channels (nestjs-kws/client/channels): presence is the Online list, history on join.
import { KwsChannelClient } from '/kws-client/channels.js';

const MAX_BYTES = 1024 * 1024; // the server's default maxPayload
const $ = (id) => document.getElementById(id);

let me = '';
/** @type {KwsClient | undefined} */
let socket;
let wasOpen = false;
/** @type {KwsChannelClient | undefined} */
let channels;
/** The rooms this page joined, by channel name. */
const rooms = new Map();
/** Bumped by Leave: a stopped socket's late events belong to a session the page has left. */
let session = 0;
const counter = { sent: 0, received: 0 };

$('join').addEventListener('submit', (event) => {
  event.preventDefault();
  join($('user-id').value.trim());
});
$('send').addEventListener('submit', (event) => {
  event.preventDefault();
  sendText();
});
$('send-doodle').addEventListener('click', async () => sendBytes(await doodle(me)));
$('picture').addEventListener('change', async () => {
  const file = $('picture').files[0];
  if (file) sendBytes(new Uint8Array(await file.arrayBuffer()));
  $('picture').value = '';
});
$('leave').addEventListener('click', leave);
$('join-staff').addEventListener('click', () => joinRoom('room:staff'));

const requested = new URLSearchParams(location.search).get('user');
if (requested) join(requested);

function join(userId) {
  if (!userId) return;
  me = userId;
  history.replaceState(null, '', `?user=${encodeURIComponent(userId)}`);
  document.title = `${userId} · nestjs-kws chat`;
  $('join').hidden = true;
  $('chat').hidden = false;
  $('me').textContent = userId;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  // events=1: the chat arrives as the named event `chat`, which a blip does not lose (recovery).
  const url = `${scheme}://${location.host}/ws/${encodeURIComponent(userId)}?events=1`;
  const mine = ++session;
  const live = (handler) => (value) => mine === session && handler(value);
  // Reconnects by itself (full-jitter backoff); frames sent while it does wait in its queue.
  socket = new KwsClient(url, { minDelay: 250, maxDelay: 5_000 });
  socket.onState(live(onState));
  socket.onSession(live(onSession));
  socket.on('chat', live(onChat));
  // The Go example's frames are raw text (and bytes): they arrive as raw messages.
  socket.on(
    'message',
    live((data) => (typeof data === 'string' ? onText(data) : onBytes(new Uint8Array(data)))),
  );
  channels = new KwsChannelClient(socket);
  joinRoom('room:lobby', live);
  $('text').focus();
}

/**
 * Joins a room (a channel): the server's handler may refuse (the reason is shown); once in, the
 * room's last messages are shown, then what members say. The lobby's presence is the Online list.
 */
function joinRoom(name, live = (handler) => handler) {
  if (!channels || rooms.has(name)) return;
  const room = channels.join(name);
  rooms.set(name, room);
  room.on(
    'said',
    live(({ from, text }) => addEntry('room', text, { from, to: name })),
  );
  if (name === 'room:lobby') {
    room.presence.onSync(live(renderPresence));
  }
  room.joined.then(
    live(async () => {
      addEntry('joined', `Joined ${name}`);
      renderRoomOptions();
      const { messages } = await room.history({ limit: 50 });
      for (const { data } of messages)
        addEntry('history', data.text, { from: data.from, to: name });
    }),
    live((error) => {
      rooms.delete(name);
      addEntry('error', `Join of ${name} refused: ${error.message}`);
    }),
  );
}

/** Back to the join form (the id filled in), ready to join again as anyone. */
function leave() {
  session++;
  socket?.close(1000, 'Left the chat');
  socket = undefined;
  channels = undefined;
  rooms.clear();
  wasOpen = false;
  $('log').replaceChildren();
  renderOnline([]);
  $('chat').hidden = true;
  $('join').hidden = false;
  $('user-id').value = me;
  $('user-id').focus();
  $('me').textContent = '';
  $('status').dataset.state = 'idle';
  $('status').textContent = 'not connected';
  history.replaceState(null, '', location.pathname);
  document.title = 'nestjs-kws chat';
}

/** @param {import('/kws-client/index.js').KwsStateChange} change */
function onState({ state, code, reason, delay }) {
  const status = $('status');
  status.dataset.state = state;
  if (state === 'open') {
    status.textContent = 'open';
    wasOpen = true;
    addEntry('state', `Connected as ${me}`);
    // A resumed session keeps its rooms and their presence (a fresh one gets it with its rejoin).
    const lobby = rooms.get('room:lobby');
    if (lobby?.state === 'joined') renderPresence(lobby.presence.list());
    return;
  }
  if (state === 'connecting') {
    status.textContent = 'connecting…';
    return;
  }
  const closed = `closed ${code}${reason ? ` ${reason}` : ''}`;
  status.textContent =
    state === 'reconnecting' ? `${closed} · retrying in ${(delay / 1000).toFixed(1)} s` : closed;
  status.dataset.code = String(code);
  // Log the close that ended a session, not every failed retry while the server is down.
  if (wasOpen) addEntry('state', `Connection ${closed}`);
  wasOpen = false;
  renderOnline([]);
}

/** The server's `session` packet: after a blip, `recovered` means nothing was missed. */
function onSession({ recovered }) {
  if (!recovered) return;
  $('status').textContent = 'open · session resumed';
  addEntry('state', 'Session resumed: missed messages follow');
}

function onText(text) {
  let message;
  try {
    message = JSON.parse(text);
  } catch {
    // The welcome and newcomer notices are plain text, as in the Go example.
    addEntry('notice', text);
    return;
  }
  onChat(message);
}

/** A chat envelope `{from, to, event, data}`, raw (the Go example's frames) or the `chat` event. */
function onChat(message) {
  if (message.from !== 'server') {
    addEntry(message.to ? 'direct' : 'broadcast', message.data, message);
    return;
  }
  if (message.event === 'user-left') {
    addEntry('notice', `User left: ${message.data}`);
  } else if (message.event === 'error' || message.event === 'announcement') {
    addEntry(message.event, message.data, message);
  } else {
    addEntry('custom', message.data, message);
  }
}

function onBytes(bytes) {
  counter.received += bytes.length;
  updateCounter();
  addEntry('binary', `${bytes.length} bytes #${checksum(bytes)}`, undefined, bytes);
}

function sendText() {
  const text = $('text').value;
  if (!text) return;
  const to = $('to').value;
  const event = $('custom').checked ? 'CUSTOM_EVENT' : '';
  try {
    if (rooms.has(to) && !event) sendToRoom(to, text);
    else if (to && !event) sendDirect(to, text);
    else {
      socket?.send(JSON.stringify({ from: me, to, event, data: text }));
      addEntry('sent', text, { from: me, to, event });
    }
  } catch (error) {
    addEntry('error', `Not sent: ${error.message}`);
    return;
  }
  $('text').value = '';
}

/** A room message: every member (this page too) gets it as `said`, and it is kept for later. */
function sendToRoom(name, text) {
  rooms
    .get(name)
    .request('say', { text })
    .catch((error) => addEntry('error', `Not sent to ${name}: ${error.message}`));
}

/** A named event with an acknowledgement: the entry shows the receipt, or why it failed. */
function sendDirect(to, text) {
  const sent = socket.request('direct', { to, text });
  const entry = addEntry('sent', text, { from: me, to, event: '' });
  entry.dataset.receipt = 'pending';
  const mine = session;
  sent.then(
    ({ delivered }) => {
      if (mine !== session) return;
      entry.dataset.receipt = 'delivered';
      entry.querySelector('.who').textContent +=
        delivered > 1 ? ` ✓ delivered ×${delivered}` : ' ✓ delivered';
    },
    (error) => {
      if (mine !== session) return;
      entry.dataset.receipt = 'failed';
      addEntry('error', error.message);
    },
  );
}

function sendBytes(bytes) {
  if (bytes.length > MAX_BYTES) {
    addEntry('error', `${bytes.length} bytes is over the server's 1 MiB limit`);
    return;
  }
  try {
    socket?.send(bytes);
  } catch (error) {
    addEntry('error', `Not sent: ${error.message}`);
    return;
  }
  counter.sent += bytes.length;
  updateCounter();
  addEntry('sent-binary', `${bytes.length} bytes #${checksum(bytes)}`, undefined, bytes);
}

function updateCounter() {
  $('byte-counter').textContent = `${counter.sent} bytes sent, ${counter.received} received`;
}

function renderOnline(users) {
  // One line per person: the same id twice is one user in two tabs (or on two devices).
  const tabs = new Map();
  for (const { id } of users) tabs.set(id, (tabs.get(id) ?? 0) + 1);
  const list = $('online');
  list.replaceChildren(
    ...[...tabs].map(([id, count]) => {
      const item = document.createElement('li');
      item.dataset.user = id;
      item.textContent = `${id}${id === me ? ' (you)' : ''}${count > 1 ? ` ×${count}` : ''}`;
      item.addEventListener('click', () => id !== me && ($('to').value = id));
      return item;
    }),
  );
  const select = $('to');
  const chosen = select.value;
  const others = [...tabs.keys()].filter((id) => id !== me);
  select.replaceChildren(
    new Option('Everyone', ''),
    ...others.map((id) => new Option(id, id)),
    ...roomOptions(),
  );
  select.value = [...select.options].some((option) => option.value === chosen) ? chosen : '';
}

/** The joined rooms, after the people, in the recipient list. */
function roomOptions() {
  return [...rooms]
    .filter(([, room]) => room.state === 'joined')
    .map(([name]) => new Option(`Room ${name.slice(5)}`, name));
}

function renderRoomOptions() {
  const select = $('to');
  const chosen = select.value;
  // A copy: removing options changes the live collection.
  for (const option of Array.from(select.options)) if (rooms.has(option.value)) option.remove();
  select.append(...roomOptions());
  if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
}

/** The Online list: one line per user of the lobby's presence, a meta per tab. */
function renderPresence(list) {
  const sorted = [...list].sort((a, b) => a.key.localeCompare(b.key));
  renderOnline(sorted.flatMap(({ key, metas }) => metas.map(() => ({ id: key }))));
}

/**
 * @param {string} kind what the entry is; tests and styles select on it
 * @param {string} text
 * @param {{ from?: string, to?: string, event?: string }} [message]
 * @param {Uint8Array} [bytes]
 */
function addEntry(kind, text, message, bytes) {
  const entry = document.createElement('li');
  entry.dataset.kind = kind;
  if (message?.from) entry.dataset.from = message.from;
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = label(kind, message);
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = text;
  entry.append(who, body);
  const type = bytes && imageType(bytes);
  if (type) {
    const image = document.createElement('img');
    image.src = URL.createObjectURL(new Blob([bytes], { type }));
    image.alt = text;
    entry.append(image);
  }
  const log = $('log');
  log.append(entry);
  log.scrollTop = log.scrollHeight;
  return entry;
}

function label(kind, message) {
  const to = message?.to ? (message.to === me ? 'you' : message.to) : 'everyone';
  switch (kind) {
    case 'sent':
      return `you → ${to}${message.event ? ` (${message.event})` : ''}`;
    case 'direct':
    case 'broadcast':
      return `${message.from} → ${to}`;
    case 'room':
    case 'history':
      return `${message.from} → ${message.to.slice(5)}${kind === 'history' ? ' (earlier)' : ''}`;
    case 'sent-binary':
      return 'you → everyone (bytes)';
    case 'binary':
      return 'bytes';
    case 'custom':
      return message.event;
    default:
      return kind;
  }
}
