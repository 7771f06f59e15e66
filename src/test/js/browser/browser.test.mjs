// Browser tests: the demo page and gateway-client.js in headless Chromium against a running gateway (demo profile),
// reached through a FaultyLink proxy. Run by BrowserClientTest, which starts the gateway and sets GATEWAY_URL.
//
// The gateway under test keeps a history of 2 messages per topic and the JUnit side keeps trimming the demo cluster's
// history of prices/USDJPY, so a drop of a second or two is recovered from the nodes for prices/EURUSD and GBPUSD
// (4 ticks/s each) but becomes a `gap` for prices/USDJPY. welcome.heartbeat is 2 s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { ARTIFACT_DIR, FaultyLink, launchBrowser, newPage, waitInPage } from './harness.mjs';

let browser;
let link;

before(async () => {
  fs.mkdirSync(ARTIFACT_DIR, { recursive: true });
  link = await new FaultyLink().start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await link?.close();
});

/**
 * A blank page on the gateway's origin (through the proxy) running one GatewayClient that records everything it
 * emits in `window.t`. Resolves once `topics` are subscribed.
 */
async function clientPage(topics, options = {}) {
  const page = await newPage(browser);
  // any document the gateway serves gives the page its origin (a page Playwright made up would count as a public
  // address space, and Chromium's local network access checks would then block the loopback WebSocket)
  await page.goto(`${link.url}/ws/health`);
  await page.evaluate(async ({ topics, options }) => {
    const { GatewayClient } = await import('/client/gateway-client.js');
    const client = new GatewayClient({ url: new URL('/ws', location.href).href, ...options });
    const t = { client, messages: [], gaps: [], states: [], welcomes: [], directs: [], errors: [] };
    client.on('message', (m) => t.messages.push({ topic: m.topic, epoch: m.epoch, offset: m.offset, data: m.data }));
    client.on('gap', (g) => t.gaps.push({ ...g, afterMessages: t.messages.length }));
    client.on('state', (s) => t.states.push({ state: s.state, reason: s.reason, code: s.code }));
    client.on('welcome', (w) => t.welcomes.push(w));
    client.on('direct', (d) => t.directs.push(d));
    client.on('error', (e) => t.errors.push(e));
    window.t = t;
    const subscribed = topics.length > 0 ? client.subscribe(topics) : Promise.resolve();
    client.connect();
    const timeout = new Promise((resolve, reject) => setTimeout(() => reject(new Error(
      `no subscription within 10 s; states: ${t.states.map((s) => s.state).join(' ')}`)), 10000));
    await Promise.race([subscribed, timeout]);
  }, { topics, options });
  return page;
}

const recorded = (page) => page.evaluate(() => ({
  messages: window.t.messages, gaps: window.t.gaps, states: window.t.states, welcomes: window.t.welcomes,
  directs: window.t.directs, errors: window.t.errors, stats: window.t.client.stats,
}));

const countOf = (page, topic) => page.evaluate((topic) => window.t.messages.filter((m) => m.topic === topic).length, topic);

function offsetsOf(messages, topic) {
  return messages.filter((m) => m.topic === topic).map((m) => m.offset);
}

function assertNoDuplicates(messages) {
  const keys = messages.map((m) => `${m.topic}|${m.epoch}|${m.offset}`);
  assert.equal(new Set(keys).size, keys.length, 'a (topic, epoch, offset) was delivered twice');
}

function assertContiguous(offsets, topic) {
  for (let i = 1; i < offsets.length; i++) {
    assert.equal(offsets[i], offsets[i - 1] + 1, `${topic}: offset ${offsets[i - 1]} is followed by ${offsets[i]}`);
  }
}

// ---- the demo page --------------------------------------------------------------------------------------------

/** Messages of a topic in the demo's "Topics seen" table (0 before its first). */
function demoCountInPage(topic) {
  const row = document.querySelector(`#topics tr[data-topic="${topic}"]`);
  return row ? Number(row.cells[1].textContent) : 0;
}

const demoCount = (page, topic) => page.evaluate(demoCountInPage, topic);

test('demo page connects, shows live prices and headlines, ignores a topic and chats', async () => {
  const page = await newPage(browser);
  await page.goto(`${link.url}/demo`); // without the slash: redirected to /demo/
  assert.equal(new URL(page.url()).pathname, '/demo/');
  await page.waitForSelector('#state[data-state="connected"]', { timeout: 10000 });
  assert.equal(await page.textContent('#state'), 'connected');

  // live prices: a row per symbol whose offset keeps moving
  await waitInPage(page, 'three price rows', () => document.querySelectorAll('#prices tbody tr').length === 3);
  const first = await page.$$eval('#prices tbody tr', (rows) => rows.map((r) => Number(r.cells[3].textContent)));
  await waitInPage(page, 'new ticks on every symbol', (first) => [...document.querySelectorAll('#prices tbody tr')]
    .every((r, i) => Number(r.cells[3].textContent) > first[i]), first);
  const symbols = await page.$$eval('#prices tbody tr .symbol', (cells) => cells.map((c) => c.textContent));
  assert.deepEqual(symbols, ['EURUSD', 'GBPUSD', 'USDJPY']);
  const bids = await page.$$eval('#prices tbody tr .bid', (cells) => cells.map((c) => Number(c.textContent)));
  assert.ok(bids.every((bid) => bid > 1), `bids: ${bids}`);

  // subscribe through the form: headlines appear
  await page.fill('#pattern', 'news/*');
  await page.click('#subscribe-form button[type=submit]');
  await page.waitForSelector('#subscriptions li[data-pattern="news/*"]');
  await page.waitForSelector('#news li', { timeout: 6000 });

  // ignore news/sports: markets headlines go on, sports ones stop; unignore brings them back
  await page.waitForSelector('#topics tr[data-topic="news/sports"]', { timeout: 6000 });
  await page.click('#topics tr[data-topic="news/sports"] button');
  await page.waitForSelector('#topics tr[data-topic="news/sports"].ignored');
  const sportsBefore = await demoCount(page, 'news/sports');
  const marketsBefore = await demoCount(page, 'news/markets');
  // the demo alternates markets and sports every 1.5 s: between two markets headlines a sports one was published
  await page.addScriptTag({ content: `window.demoCount = ${demoCountInPage.toString()};` });
  await waitInPage(page, 'two more markets headlines', (n) => window.demoCount('news/markets') >= n + 2,
    marketsBefore, 8000);
  assert.equal(await demoCount(page, 'news/sports'), sportsBefore, 'an ignored topic was delivered');
  await page.click('#topics tr[data-topic="news/sports"] button');
  await waitInPage(page, 'sports headlines after unignore', (n) => window.demoCount('news/sports') > n,
    sportsBefore, 6000);

  // chat: chat.post is acked and published on chat/lobby; echo comes back as a direct
  await page.fill('#chat-text', 'hello from headless Chromium');
  await page.click('#chat-form button[type=submit]');
  await page.waitForSelector('#chat li.mine:has-text("hello from headless Chromium")', { timeout: 5000 });
  await waitInPage(page, 'the chat ack in the log', () => document.querySelector('#log').textContent.includes('chat.post acked'));
  await page.click('#echo');
  await waitInPage(page, 'the echo direct',
    () => document.querySelector('#echo-result').textContent.startsWith('echo came back'));

  // the page shows a reconnect: the link is dropped on purpose and the same session comes back
  const session = await page.textContent('#session');
  await page.click('#drop');
  await waitInPage(page, 'the resumed session', () => document.querySelector('#count-resumed').textContent === '1'
    && document.querySelector('#state').dataset.state === 'connected');
  assert.equal(await page.textContent('#session'), session);
  assert.equal(await page.textContent('#count-reconnects'), '1');
  assert.match(await page.textContent('#log'), /welcome: session resumed · restored 4 subscription\(s\)/);
  await waitInPage(page, 'ticks after the resume', (n) => Number(document.querySelector('#count-messages').textContent) > n + 6,
    Number(await page.textContent('#count-messages')));

  const file = path.join(ARTIFACT_DIR, 'demo-page.png');
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
  assert.equal(await page.textContent('#count-duplicates'), '0');
  assert.deepEqual(page.errors, []);
  await page.close();
});

// ---- the client ---------------------------------------------------------------------------------------------

test('client resumes after the link drops: recovered without duplicates, queued send acked, lost range as a gap', async () => {
  const page = await clientPage(['prices/EURUSD', 'prices/GBPUSD', 'prices/USDJPY'], { backoff: { initial: 400, max: 1500 } });
  await waitInPage(page, 'ticks before the drop', () => window.t.messages.filter((m) => m.topic === 'prices/EURUSD').length >= 6);

  // the network fails: open connections reset, new ones refused for 1.5 s (health probes included)
  link.refuse(true);
  link.drop();
  const beforeDrop = await recorded(page);
  await page.evaluate(() => {
    window.t.echo = window.t.client.send('echo', { during: 'outage' }).then((r) => ({ ok: r.id }), (e) => ({ failed: e.code }));
  });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  link.refuse(false);

  await waitInPage(page, 'a resumed welcome', () => window.t.welcomes.length === 2);
  const lastBefore = Math.max(...offsetsOf(beforeDrop.messages, 'prices/EURUSD'));
  await waitInPage(page, 'ticks after the reconnect', (last) => window.t.messages
    .filter((m) => m.topic === 'prices/EURUSD' && m.offset > last + 8).length > 0, lastBefore, 10000);
  const echo = await page.evaluate(() => window.t.echo);
  assert.ok(echo.ok, `the send queued during the outage: ${JSON.stringify(echo)}`);
  await waitInPage(page, 'the echo direct', () => window.t.directs.some((d) => d.event === 'echo'));

  const r = await recorded(page);
  const [, resumed] = r.welcomes;
  assert.equal(resumed.resumed, true, 'same session after the drop');
  assert.deepEqual([...resumed.restored.subscriptions].sort(), ['prices/EURUSD', 'prices/GBPUSD', 'prices/USDJPY']);
  const states = r.states.map((s) => s.state);
  assert.ok(states.lastIndexOf('backoff') > states.indexOf('connected'), `states: ${states}`);
  assert.ok(r.states.some((s) => s.state === 'backoff' && s.reason === 'probe_failed'), 'the refused health probe backed off');

  assertNoDuplicates(r.messages);
  assert.equal(r.stats.duplicates, 0, 'the gateway sent a duplicate');
  assertContiguous(offsetsOf(r.messages, 'prices/EURUSD'), 'prices/EURUSD');
  assertContiguous(offsetsOf(r.messages, 'prices/GBPUSD'), 'prices/GBPUSD');
  assert.deepEqual(r.gaps.filter((g) => g.detectedBy !== 'gateway'), [], 'offsets skipped without a gap');

  // prices/USDJPY's history was gone: the client is told which offsets it lost, then live ticks go on
  const usdjpyBefore = Math.max(...offsetsOf(beforeDrop.messages, 'prices/USDJPY'));
  const gap = r.gaps.find((g) => g.topic === 'prices/USDJPY');
  assert.ok(gap, `a gap for prices/USDJPY: ${JSON.stringify(r.gaps)}`);
  assert.equal(gap.reset, false);
  assert.ok(gap.from > usdjpyBefore && gap.to >= gap.from, `gap ${gap.from}..${gap.to} after offset ${usdjpyBefore}`);
  // the replayed EURUSD ticks may have arrived before USDJPY's next live one
  await waitInPage(page, 'live USDJPY ticks after the gap', (to) => window.t.messages
    .some((m) => m.topic === 'prices/USDJPY' && m.offset > to), gap.to, 5000);
  const usdjpy = offsetsOf((await recorded(page)).messages, 'prices/USDJPY');
  assert.ok(usdjpy.every((o) => o <= usdjpyBefore || o > gap.to), `USDJPY offsets ${usdjpy} around gap ${gap.from}..${gap.to}`);
  assert.deepEqual(r.errors, []);
  await page.close();
});

test('send resolves on ack: echo comes back as a direct, chat.post is published on chat/lobby', async () => {
  const page = await clientPage(['chat/lobby']);
  const outcome = await page.evaluate(async () => {
    const echo = await window.t.client.send('echo', { n: 42 });
    const chat = await window.t.client.send('chat.post', { text: 'ack me' });
    const session = window.t.client.session;
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(session));
    const alias = `guest-${[...new Uint8Array(digest, 0, 3)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
    return { echo, chat, session, alias };
  });
  assert.match(outcome.echo.id, /^c-\d+$/);
  assert.match(outcome.chat.id, /^c-\d+$/);
  await waitInPage(page, 'the echo direct', () => window.t.directs.some((d) => d.event === 'echo' && d.data.n === 42));
  // the lobby names the sender by a short hash of its session id, never by the id itself
  await waitInPage(page, 'the chat message', (alias) => window.t.messages
    .some((m) => m.topic === 'chat/lobby' && m.data.from === alias && m.data.data.text === 'ack me'), outcome.alias);
  const lobby = (await recorded(page)).messages.filter((m) => m.topic === 'chat/lobby');
  assert.ok(lobby.every((m) => !JSON.stringify(m.data).includes(outcome.session)), 'a session id was published');
  const refused = await page.evaluate(() => window.t.client.send('e', 'x'.repeat(70000)).catch((e) => e.code));
  assert.equal(refused, 'message_too_big', 'an oversized send is refused before it costs the link a 1009');
  assert.equal(await page.evaluate(() => window.t.client.state), 'connected');
  await page.close();
});

test('subscribing since a position of a lost epoch surfaces a reset gap, then live messages', async () => {
  const page = await clientPage([]);
  await page.evaluate(() => window.t.client.subscribe('prices/EURUSD',
    { since: { 'prices/EURUSD': { epoch: 'an-epoch-long-gone', offset: 5 } } }));
  await waitInPage(page, 'a gap', () => window.t.gaps.length > 0);
  await waitInPage(page, 'live messages after the gap', () => window.t.messages.length >= 2);
  const r = await recorded(page);
  assert.equal(r.gaps[0].topic, 'prices/EURUSD');
  assert.equal(r.gaps[0].reset, true);
  assert.equal(r.gaps[0].afterMessages, 0, 'the gap comes before the messages of the new epoch');
  assert.ok(r.messages.every((m) => m.epoch === r.gaps[0].epoch), 'messages carry the epoch the gap announced');
  assertContiguous(offsetsOf(r.messages, 'prices/EURUSD'), 'prices/EURUSD');
  await page.close();
});

test('a link that goes silent is declared dead by the heartbeat, and the session resumes', async () => {
  // probeTimeout: the frozen connections include Chromium's pooled keep-alive ones, which a probe may be sent on
  const page = await clientPage(['prices/EURUSD'], { heartbeatTimeout: 1000, probeTimeout: 1000, backoff: { initial: 200 } });
  await waitInPage(page, 'ticks', () => window.t.messages.length >= 4);
  const heartbeat = await page.evaluate(() => window.t.client.heartbeat);
  assert.equal(heartbeat, 2000, 'welcome.heartbeat of the test profile');
  link.freeze(); // half-open: no close, no reset, nothing
  await waitInPage(page, 'the heartbeat timeout',
    () => window.t.states.some((s) => s.reason === 'heartbeat_timeout'), undefined, 5000);
  await waitInPage(page, 'a resumed welcome', () => window.t.welcomes.length === 2 && window.t.welcomes[1].resumed)
    .catch(async (e) => { throw new Error(`${e.message}; states: ${JSON.stringify((await recorded(page)).states)}`); });
  const count = await countOf(page, 'prices/EURUSD');
  await waitInPage(page, 'ticks after the resume', (n) => window.t.messages.length >= n + 4, count);
  const r = await recorded(page);
  assert.deepEqual(r.welcomes[1].restored.subscriptions, ['prices/EURUSD'], 'the gateway kept the subscription');
  assertNoDuplicates(r.messages);
  // What the gateway wrote into the silent link before the resume never arrived. The resumed client gives the
  // positions it did receive (in the resume URL), so those messages come again, from the gateway's history or the
  // node's: nothing is missing, nothing comes twice, and there is no gap, neither one the gateway sent nor one the
  // client had to detect.
  assertContiguous(offsetsOf(r.messages, 'prices/EURUSD'), 'prices/EURUSD');
  assert.deepEqual(r.gaps, [], 'no gap');
  assert.equal(r.stats.gaps, 0);
  assert.equal(r.stats.duplicates, 0, 'the gateway sent a duplicate');
  link.drop(); // the frozen connections
  await page.close();
});
