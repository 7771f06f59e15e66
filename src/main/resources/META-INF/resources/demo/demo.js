// The demo page: one GatewayClient against the gateway that served this page, rendered with plain DOM calls.
import { GatewayClient } from '../client/gateway-client.js';

const DEMO_TOPICS = ['prices/*', 'prices/EURUSD', 'prices/GBPUSD', 'prices/USDJPY', 'news/*', 'news/markets',
  'news/sports', 'clock/utc', 'chat/lobby'];
const DEFAULT_SUBSCRIPTIONS = ['prices/*', 'clock/utc', 'chat/lobby'];
const MAX_HEADLINES = 8;
const MAX_CHAT = 30;
const MAX_LOG = 60;

const $ = (id) => document.getElementById(id);

/** A DOM element with text or children: enough templating for a page this size, and nothing to escape by hand. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// The gateway that served this page: ws(s)://same-host/ws, so the demo works behind any host name and scheme.
const wsUrl = new URL('../ws', location.href);
wsUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
const client = new GatewayClient({ url: wsUrl.toString() });

const topics = new Map(); // topic → {count, offset, row}
const prices = new Map(); // topic → row
let mySession = null;
let myAlias = null; // how the lobby names this session's chat messages

// ---- connection state ------------------------------------------------------------------------------------

client.on('state', (e) => {
  const badge = $('state');
  badge.textContent = e.state;
  badge.dataset.state = e.state;
  let detail = '';
  if (e.state === 'backoff') detail = `retry in ${(e.delay / 1000).toFixed(1)} s (attempt ${e.attempt}, ${e.reason})`;
  if (e.state === 'closed') detail = `closed (${e.code}${e.reason ? `: ${e.reason}` : ''})`;
  $('state-detail').textContent = detail;
  $('toggle').textContent = e.state === 'closed' ? 'Connect' : 'Disconnect';
  const why = [e.reason, e.code && `code ${e.code}`].filter(Boolean).join(', ');
  log(e.state === 'connected' ? 'ok' : e.state === 'backoff' || e.state === 'closed' ? 'warn' : 'info',
    `${e.previous} → ${e.state}${why ? ` (${why})` : ''}${e.state === 'backoff' ? ` · wait ${e.delay} ms` : ''}`);
  renderCounters();
});

client.on('welcome', (w) => {
  if (w.session !== mySession) {
    myAlias = null;
    chatAlias(w.session).then((alias) => { if (mySession === w.session) myAlias = alias; });
  }
  mySession = w.session;
  $('session').textContent = w.session;
  const kept = w.restored ? `restored ${w.restored.subscriptions.length} subscription(s)` : 'new session';
  log('ok', `welcome: ${w.resumed ? 'session resumed' : 'session started'} · ${kept}`);
});

client.on('gap', (g) => {
  // what was lost is not coming: a price shown is stale until the topic's next message replaces it
  const row = prices.get(g.topic);
  if (row) row.dataset.stale = 'true';
  const what = g.reset ? `history restarted (epoch ${g.epoch}): values shown may be stale until the next update`
    : `lost offsets ${g.from}–${g.to}`;
  log('warn', `gap on ${g.topic}: ${what}`);
  renderCounters();
});

client.on('error', (e) => log('error', `error ${e.code}${e.message ? `: ${e.message}` : ''}`));

client.on('direct', (d) => {
  log('info', `direct ${d.event}: ${JSON.stringify(d.data)}`);
  if (d.event === 'echo') $('echo-result').textContent = `echo came back: ${JSON.stringify(d.data)}`;
});

// ---- messages ----------------------------------------------------------------------------------------------

client.on('message', (m) => {
  countTopic(m);
  if (m.binary || m.data === null || typeof m.data !== 'object') { // the demo nodes publish JSON objects only
    log('info', `message on ${m.topic} (offset ${m.offset}) the demo does not render: ${m.binary ? 'binary' : typeof m.data}`);
    return;
  }
  if (m.topic.startsWith('prices/')) renderPrice(m);
  else if (m.topic.startsWith('news/')) renderHeadline(m);
  else if (m.topic === 'clock/utc') $('clock').textContent = `${String(m.data.iso).slice(11, 19)} UTC`;
  else if (m.topic === 'chat/lobby') renderChat(m);
});

function renderPrice(m) {
  let row = prices.get(m.topic);
  if (!row) {
    row = el('tr', { 'data-topic': m.topic }, el('td', { class: 'symbol' }, m.topic.slice('prices/'.length)),
      el('td', { class: 'num bid' }), el('td', { class: 'num ask' }), el('td', { class: 'num offset muted' }));
    prices.set(m.topic, row);
    const body = $('prices').tBodies[0];
    const after = [...body.rows].find((r) => r.dataset.topic > m.topic);
    body.insertBefore(row, after || null);
    $('prices-empty').hidden = true;
  }
  const [, bid, ask, offset] = row.cells;
  const previous = Number(bid.textContent);
  bid.textContent = m.data.bid;
  ask.textContent = m.data.ask;
  offset.textContent = m.offset;
  row.dataset.move = m.data.bid > previous ? 'up' : m.data.bid < previous ? 'down' : 'flat';
  row.dataset.stale = 'false';
}

function renderHeadline(m) {
  const list = $('news');
  const at = new Date(m.data.ts);
  const time = Number.isFinite(at.getTime()) ? at.toISOString().slice(11, 19) : '';
  list.prepend(el('li', { 'data-topic': m.topic }, el('span', { class: 'tag' }, m.topic.slice('news/'.length)),
    el('span', { class: 'headline' }, m.data.headline), el('time', { class: 'muted' }, time)));
  while (list.children.length > MAX_HEADLINES) list.lastElementChild.remove();
  $('news-empty').hidden = true;
}

/**
 * The name the demo nodes publish a chat message under: "guest-" and the first 6 hex digits of the SHA-256 of the
 * session id, so that other guests never learn the session id. crypto.subtle exists in secure contexts only (https,
 * localhost): elsewhere the page cannot tell its own messages apart, and shows them under its alias too.
 */
async function chatAlias(session) {
  if (!globalThis.crypto?.subtle) return null;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(session));
  return `guest-${[...new Uint8Array(digest, 0, 3)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function renderChat(m) {
  const from = typeof m.data.from === 'string' ? m.data.from : 'guest';
  const mine = myAlias !== null && from === myAlias;
  const who = mine ? 'you' : from;
  const text = m.data.data && typeof m.data.data.text === 'string' ? m.data.data.text : JSON.stringify(m.data.data);
  const list = $('chat');
  list.append(el('li', { class: mine ? 'mine' : '' }, el('b', {}, who), ' ', text));
  while (list.children.length > MAX_CHAT) list.firstElementChild.remove();
  list.scrollTop = list.scrollHeight;
}

function countTopic(m) {
  let entry = topics.get(m.topic);
  if (!entry) {
    const ignoreButton = el('button', { type: 'button', class: 'link', onclick: () => toggleIgnore(m.topic) }, 'ignore');
    const row = el('tr', { 'data-topic': m.topic }, el('td', { class: 'mono' }, m.topic), el('td', { class: 'num' }),
      el('td', { class: 'num muted' }), el('td', {}, ignoreButton));
    entry = { count: 0, row, ignoreButton };
    topics.set(m.topic, entry);
    const body = $('topics').tBodies[0];
    const after = [...body.rows].find((r) => r.dataset.topic > m.topic);
    body.insertBefore(row, after || null);
  }
  entry.count++;
  entry.row.cells[1].textContent = entry.count;
  entry.row.cells[2].textContent = m.offset;
  renderCounters();
}

// ---- subscriptions and ignores --------------------------------------------------------------------------------

async function subscribe(pattern) {
  try {
    await client.subscribe(pattern);
    log('ok', `subscribed ${pattern}`);
  } catch (e) {
    log('error', `subscribe ${pattern} failed: ${e.code}`);
  }
  renderSubscriptions();
}

async function unsubscribe(pattern) {
  renderSubscriptions();
  try {
    await client.unsubscribe(pattern);
    log('info', `unsubscribed ${pattern}`);
  } catch (e) {
    log('error', `unsubscribe ${pattern} failed: ${e.code}`);
  }
  renderSubscriptions();
  if (pattern.startsWith('prices/')) markStalePrices();
}

async function toggleIgnore(topic) {
  const ignored = client.ignores.includes(topic);
  try {
    await (ignored ? client.unignore(topic) : client.ignore(topic));
    log('info', `${ignored ? 'unignored' : 'ignored'} ${topic}`);
  } catch (e) {
    log('error', `${ignored ? 'unignore' : 'ignore'} ${topic} failed: ${e.code}`);
  }
  const entry = topics.get(topic);
  if (entry) {
    entry.ignoreButton.textContent = client.ignores.includes(topic) ? 'unignore' : 'ignore';
    entry.row.classList.toggle('ignored', client.ignores.includes(topic));
  }
}

function markStalePrices() {
  for (const row of prices.values()) row.dataset.stale = 'true';
}

function renderSubscriptions() {
  const list = $('subscriptions');
  list.replaceChildren(...client.subscriptions.map((pattern) => el('li', { 'data-pattern': pattern },
    el('span', { class: 'mono' }, pattern),
    el('button', { type: 'button', class: 'remove', title: `unsubscribe ${pattern}`, onclick: () => unsubscribe(pattern) }, '×'))));
  $('suggestions').replaceChildren(...DEMO_TOPICS.filter((t) => !client.subscriptions.includes(t)).map((t) =>
    el('button', { type: 'button', class: 'suggestion', onclick: () => subscribe(t) }, `+ ${t}`)));
}

$('subscribe-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const pattern = $('pattern').value.trim();
  if (!pattern) return;
  $('pattern').value = '';
  subscribe(pattern);
});

// ---- sends --------------------------------------------------------------------------------------------------

$('chat-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('chat-text').value.trim();
  if (!text) return;
  $('chat-text').value = '';
  try {
    const { id } = await client.send('chat.post', { text });
    log('ok', `chat.post acked (${id})`);
  } catch (e) {
    log('error', `chat.post failed: ${e.code}`);
  }
});

$('echo').addEventListener('click', async () => {
  // the node answers with a direct and an ack; either may arrive first
  const result = $('echo-result');
  result.textContent = 'sent, waiting for the ack…';
  try {
    const { id } = await client.send('echo', { at: new Date().toISOString().slice(11, 19) });
    log('ok', `echo acked (${id})`);
    if (!result.textContent.startsWith('echo came back')) result.textContent = 'acked, waiting for the direct…';
  } catch (e) {
    result.textContent = `failed: ${e.code}`;
  }
});

$('drop').addEventListener('click', () => {
  log('warn', 'dropping the link on purpose: the session should resume');
  client.reconnect();
});

$('toggle').addEventListener('click', () => {
  if (client.state === 'closed') client.connect();
  else client.close();
});

// ---- log and counters -------------------------------------------------------------------------------------------

function log(level, text) {
  const list = $('log');
  list.prepend(el('li', { class: level }, el('time', {}, new Date().toISOString().slice(11, 23)), ' ', text));
  while (list.children.length > MAX_LOG) list.lastElementChild.remove();
}

function renderCounters() {
  $('count-messages').textContent = client.stats.messages;
  $('count-duplicates').textContent = client.stats.duplicates;
  $('count-gaps').textContent = client.stats.gaps;
  $('count-reconnects').textContent = client.stats.reconnects;
  $('count-resumed').textContent = client.stats.resumed;
}

// ---- start ------------------------------------------------------------------------------------------------------

DEFAULT_SUBSCRIPTIONS.forEach((pattern) => subscribe(pattern));
renderSubscriptions();
client.connect();

// for the browser tests and for poking around in the console
window.demo = { client, log };
