// Unit tests of gateway-client.js in Node: a scripted socket, a manual clock and a fixed random, no browser.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

import {
  GatewayClient, State, backoffDelay, closeAction, topicMatches, isValidPattern, isExactTopic, decodeBinaryMessage,
} from '../../../main/resources/META-INF/resources/client/gateway-client.js';
import { FakeSocket, ManualClock, fakeHealth, settle } from './fakes.mjs';

let clock;
let health;

beforeEach(() => {
  FakeSocket.reset();
  clock = new ManualClock();
  health = fakeHealth();
});

function newClient(options = {}) {
  const client = new GatewayClient({
    url: 'ws://gw.test/ws',
    WebSocket: FakeSocket,
    fetch: health.fetch,
    random: () => 0.5,
    now: () => clock.now,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    ...options,
  });
  client.states = [];
  client.events = { message: [], gap: [], direct: [], error: [], welcome: [] };
  client.on('state', (e) => client.states.push(e));
  for (const type of Object.keys(client.events)) client.on(type, (e) => client.events[type].push(e));
  return client;
}

/** After a drop: the backoff passes and the next link is welcomed as a new session (the resume failed). */
async function welcomedAsNewSession() {
  await clock.advance(500);
  const next = FakeSocket.last();
  next.welcome({ session: 's-2', restored: null });
  await settle();
  return next;
}

/** Drops `socket`'s link; the client comes back on a new one, welcomed as a new session. */
async function newSessionAfterDrop(socket) {
  socket.drop(1006);
  return welcomedAsNewSession();
}

/** connect() through probe, open and welcome. */
async function connected(client, welcome = {}) {
  client.connect();
  await settle();
  const socket = FakeSocket.last();
  socket.open();
  await settle();
  socket.welcome(welcome);
  await settle();
  return socket;
}

// ---- pure helpers -------------------------------------------------------------------------------------------

test('backoff is full jitter under a ceiling that doubles per attempt up to the cap', () => {
  const policy = { initial: 1000, max: 30000, multiplier: 2 };
  assert.equal(backoffDelay(0, policy, () => 0.5), 500);
  assert.equal(backoffDelay(3, policy, () => 0.5), 4000);
  assert.equal(backoffDelay(20, policy, () => 0.999999), 29999);
  assert.equal(backoffDelay(5, policy, () => 0), 0);
});

test('close codes map to the README table', () => {
  const table = {
    1000: 'stop', 1001: 'idle', 1006: 'reconnect', 1008: 'report', 1009: 'too_big', 1011: 'reconnect',
    1012: 'reconnect', 1013: 'reconnect', 4001: 'stop', 4002: 'reconnect', 4003: 'token', 4000: 'stop', 4999: 'stop',
  };
  for (const [code, action] of Object.entries(table)) assert.equal(closeAction(Number(code)), action, `code ${code}`);
});

test('topic rules match the gateway', () => {
  assert.ok(topicMatches('news/*', 'news/a'));
  assert.ok(!topicMatches('news/*', 'news/a/b'));
  assert.ok(topicMatches('news/**', 'news/a/b'));
  assert.ok(!topicMatches('news/**', 'news'));
  assert.ok(isValidPattern('prices/*') && !isValidPattern('a/**/b') && !isValidPattern('a//b'));
  assert.ok(isExactTopic('prices/EURUSD') && !isExactTopic('prices/*'));
});

test('binary topic messages decode as the protocol lays them out', () => {
  const topic = Buffer.from('bin/t');
  const epoch = Buffer.from('e1');
  const frame = Buffer.concat([Buffer.from([1, 0, topic.length]), topic, Buffer.from([epoch.length]), epoch,
    Buffer.from([0, 0, 0, 1, 0, 0, 0, 2]), Buffer.from([9, 8, 7])]);
  const m = decodeBinaryMessage(frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.length));
  assert.deepEqual({ ...m, data: [...m.data] }, { topic: 'bin/t', epoch: 'e1', offset: 2 ** 32 + 2, data: [9, 8, 7], binary: true });
});

// ---- connecting -----------------------------------------------------------------------------------------------

test('probes /ws/health, connects offering gateway.v1, and reports each state', async () => {
  const client = newClient();
  const socket = await connected(client);
  assert.deepEqual(health.calls, ['http://gw.test/ws/health']);
  assert.equal(socket.url.toString(), 'ws://gw.test/ws');
  assert.deepEqual(socket.protocols, ['gateway.v1']);
  assert.deepEqual(client.states.map((s) => s.state), ['probing', 'connecting', 'connected']);
  assert.equal(client.session, 's-1');
});

test('a failed probe backs off with full jitter, growing per failure, without opening a socket', async () => {
  health.statuses.push(503, 'error', 503);
  const client = newClient();
  client.connect();
  await settle();
  assert.equal(FakeSocket.instances.length, 0);
  const waits = () => client.states.filter((s) => s.state === 'backoff').map((s) => s.delay);
  assert.deepEqual(waits(), [500]);
  await clock.advance(500);
  await clock.advance(1000);
  assert.deepEqual(waits(), [500, 1000, 2000]);
  await clock.advance(2000);
  assert.equal(FakeSocket.instances.length, 1, 'the fourth probe answers 200');
});

test('the failure count resets after a connection stayed up for backoff.stableAfter', async () => {
  health.statuses.push(503, 503);
  const client = newClient({ backoff: { stableAfter: 5000 } });
  client.connect();
  await clock.advance(500 + 1000);
  FakeSocket.last().welcome();
  await clock.advance(5000);
  FakeSocket.last().drop(1006);
  await settle();
  assert.equal(client.states.at(-1).state, 'backoff');
  assert.equal(client.states.at(-1).delay, 500, 'back to the first ceiling');
});

test('an auth token and the resume token go in the query on reconnect', async () => {
  const client = newClient({ token: 'jwt-1' });
  const first = await connected(client, { resume: 'resume-A' });
  assert.equal(first.url.searchParams.get('token'), 'jwt-1');
  assert.equal(first.url.searchParams.get('resume'), null);
  first.drop(1006);
  await clock.advance(500);
  const second = FakeSocket.last();
  assert.notEqual(second, first);
  assert.equal(second.url.searchParams.get('resume'), 'resume-A');
  assert.equal(second.url.searchParams.get('token'), 'jwt-1');
});

// ---- close codes -----------------------------------------------------------------------------------------------

for (const code of [1000, 4001, 4000, 4999]) {
  test(`close ${code} stops for good`, async () => {
    const client = newClient();
    const socket = await connected(client);
    const pending = client.send('chat.post', {});
    socket.drop(code, 'bye');
    await assert.rejects(pending, { code: 'closed' });
    assert.equal(client.state, State.CLOSED);
    assert.equal(client.events.error.length, 0);
    await clock.advance(60000);
    assert.equal(FakeSocket.instances.length, 1);
  });
}

test('close 1009 reports message_too_big, resumes writing one request per frame, and a second 1009 halves again', async () => {
  const client = newClient();
  client.subscribe(['a/t', 'b/t']);
  const socket = await connected(client, { resume: 'R' });
  assert.equal(socket.frames.length, 1, 'the subscribe went as one frame');
  const sends = [client.send('e', 1), client.send('e', 2)];
  await settle();
  assert.equal(socket.frames.length, 2, 'both sends in one frame');
  socket.drop(1009, 'message too big');
  assert.deepEqual(client.events.error, [{ code: 'message_too_big', closeCode: 1009, message: 'message too big' }]);
  assert.equal(client.state, State.BACKOFF);
  await clock.advance(500);
  const second = FakeSocket.last();
  assert.equal(second.url.searchParams.get('resume'), 'R');
  second.welcome({ session: 's-1', restored: { subscriptions: ['a/t', 'b/t'], ignores: [] } });
  await settle();
  assert.deepEqual(second.frames.map((f) => f.split('\n').length), [1, 1], 'each resent send in a frame of its own');
  second.receive({ type: 'ack', id: second.sent[0].id }, { type: 'ack', id: second.sent[1].id });
  await Promise.all(sends);
  second.drop(1009, 'again');
  assert.equal(client.state, State.BACKOFF, 'PROTOCOL.md: fix, then reconnect');
  assert.equal(client.events.error.at(-1).code, 'message_too_big');
});

test('each 1009 halves the frame budget, down to 1 KiB, where the next one stops', async () => {
  const client = newClient();
  let socket = await connected(client, { resume: 'R' });
  for (const budget of [32768, 16384, 8192, 4096, 2048, 1024]) {
    socket.drop(1009, 'message too big');
    assert.equal(client.state, State.BACKOFF);
    await assert.rejects(client.send('e', 'x'.repeat(budget)),
      (e) => e.code === 'message_too_big' && e.message.includes(`exceeds ${budget} bytes`));
    await clock.advance(client.states.at(-1).delay); // the backoff, which grows: no link stood for stableAfter
    socket = FakeSocket.last();
    socket.welcome({ session: 's-1', restored: { subscriptions: [], ignores: [] } });
    await settle();
    assert.equal(client.state, State.CONNECTED);
  }
  socket.drop(1009, 'message too big');
  assert.equal(client.state, State.CLOSED);
  assert.equal(client.events.error.length, 7);
  await clock.advance(120000);
  assert.equal(FakeSocket.last(), socket, 'no link after the stop');
});

test('a send an error listener makes while the gateway closes the link is written once, on the next link', async () => {
  const client = newClient();
  const socket = await connected(client, { resume: 'R' });
  let logged = null;
  client.on('error', (e) => { if (!logged) logged = client.send('log', { code: e.code }); });
  socket.drop(1009, 'message too big');
  assert.ok(logged, 'the listener ran');
  await settle();
  await clock.advance(500);
  const second = FakeSocket.last();
  second.welcome({ session: 's-1', restored: { subscriptions: [], ignores: [] } });
  await settle();
  const sends = second.sentOfType('send');
  assert.equal(sends.length, 1, 'once: a second copy gets a duplicate-id error that rejects the acked send');
  second.receive({ type: 'ack', id: sends[0].id });
  await logged;
});

for (const [code, error] of [[1008, 'policy_violation']]) {
  test(`close ${code} stops and reports ${error}`, async () => {
    const client = newClient();
    const socket = await connected(client);
    socket.drop(code, 'reason text');
    assert.equal(client.state, State.CLOSED);
    assert.deepEqual(client.events.error, [{ code: error, closeCode: code, message: 'reason text' }]);
    await clock.advance(60000);
    assert.equal(FakeSocket.instances.length, 1);
  });
}

for (const code of [1006, 1011, 1012, 1013, 4002]) {
  test(`close ${code} reconnects after a jittered backoff and resumes`, async () => {
    const client = newClient();
    const socket = await connected(client, { resume: 'R' });
    socket.drop(code);
    assert.equal(client.state, State.BACKOFF);
    assert.equal(client.states.at(-1).code, code);
    await clock.advance(499);
    assert.equal(FakeSocket.instances.length, 1);
    await clock.advance(1);
    assert.equal(FakeSocket.last().url.searchParams.get('resume'), 'R');
  });
}

test('close 4003 asks getToken for a fresh token, then reconnects with it', async () => {
  const tokens = ['t1', 't2'];
  const client = newClient({ getToken: async () => tokens.shift() });
  const socket = await connected(client);
  assert.equal(socket.url.searchParams.get('token'), 't1');
  socket.drop(4003, 'token expired');
  await clock.advance(500);
  assert.equal(FakeSocket.last().url.searchParams.get('token'), 't2');
});

test('close 4003 without getToken stops and reports token_expired', async () => {
  const client = newClient({ token: 'old' });
  const socket = await connected(client);
  socket.drop(4003, 'token expired');
  assert.equal(client.state, State.CLOSED);
  assert.equal(client.events.error[0].code, 'token_expired');
});

test('close 1001 rests in idle without subscriptions and reconnects on the next send', async () => {
  const client = newClient();
  const socket = await connected(client);
  socket.drop(1001, 'idle');
  await clock.advance(60000);
  assert.equal(client.state, State.IDLE);
  assert.equal(FakeSocket.instances.length, 1);
  const sent = client.send('echo', { a: 1 });
  await settle();
  const next = FakeSocket.last();
  assert.notEqual(next, socket);
  next.welcome({ restored: { subscriptions: [], ignores: [] } });
  await settle();
  const [frame] = next.sentOfType('send');
  next.receive({ type: 'ack', id: frame.id });
  assert.deepEqual(await sent, { id: frame.id });
});

test('close 1001 with subscriptions reconnects at once', async () => {
  const client = newClient();
  client.subscribe('prices/*');
  const socket = await connected(client);
  socket.drop(1001, 'idle');
  assert.equal(client.state, State.BACKOFF);
  assert.equal(client.states.at(-1).delay, 125, 'no backoff: the link was only quiet (random 0.5 of 250 ms)');
  await clock.advance(125);
  assert.equal(FakeSocket.instances.length, 2);
});

test('a 1001 before any welcome (a proxy going away) backs off as any failed attempt does', async () => {
  const client = newClient();
  client.subscribe('prices/*');
  client.connect();
  await settle();
  FakeSocket.last().drop(1001, 'going away');
  assert.equal(client.state, State.BACKOFF);
  assert.equal(client.states.at(-1).delay, 500, 'the backoff of attempt 0 (random 0.5 of 1000 ms)');
});

test('a granted subscribe does not undo a later unsubscribe whose answer the link did not live to carry', async () => {
  for (const [first, second, expected] of [['subscribe', 'unsubscribe', []], ['unsubscribe', 'subscribe', ['x/t']]]) {
    FakeSocket.reset();
    const client = newClient();
    if (first === 'unsubscribe') client.subscribe('x/t');
    const socket = await connected(client, { resume: 'R' });
    if (first === 'unsubscribe') {
      socket.receive({ type: 'subscribed', id: socket.sentOfType('subscribe')[0].id, topics: ['x/t'] });
    }
    const a = client[first]('x/t');
    await settle();
    const b = client[second]('x/t');
    await settle();
    const [request] = socket.sentOfType(first).slice(-1);
    socket.receive({ type: `${first}d`, id: request.id, topics: ['x/t'] });
    await a;
    socket.drop(1006); // the second's answer is lost with the link
    await clock.advance(500);
    const next = FakeSocket.last();
    next.welcome({ session: 's-1', restored: { subscriptions: first === 'subscribe' ? ['x/t'] : [], ignores: [] } });
    await settle();
    assert.deepEqual(client.subscriptions, expected, `${first} then ${second}`);
    const synced = next.sentOfType(second);
    assert.equal(synced.length, 1, `the sync asks the gateway for the ${second}`);
    next.receive({ type: `${second}d`, id: synced[0].id, topics: ['x/t'] });
    await b;
  }
});

// ---- heartbeat ----------------------------------------------------------------------------------------------

test('pings after welcome.heartbeat of quiet, and drops a link whose ping goes unanswered for heartbeatTimeout', async () => {
  const client = newClient({ heartbeatTimeout: 1000 });
  const socket = await connected(client, { heartbeat: 2000 });
  await clock.advance(2000);
  assert.equal(socket.sentOfType('ping').length, 1);
  socket.receive({ type: 'pong' });
  await clock.advance(2000);
  assert.equal(socket.sentOfType('ping').length, 2);
  await clock.advance(999);
  assert.equal(client.state, State.CONNECTED, 'the ping written 999 ms ago is not unanswered yet');
  await clock.advance(1);
  assert.equal(client.state, State.BACKOFF);
  assert.equal(client.states.at(-1).reason, 'heartbeat_timeout');
  assert.deepEqual(socket.closedWith, { code: 3008, reason: 'heartbeat_timeout' }, 'resumable close code');
});

test('in a background tab, whose timers run once a minute, a quiet link that answers its pings stays up', async () => {
  clock.throttle(60000);
  const client = newClient({ heartbeatTimeout: 10000 });
  const socket = await connected(client, { heartbeat: 25000 });
  for (let minute = 1; minute <= 10; minute++) {
    await clock.advance(60000); // the ping and the silence deadline come due at the same wake-up
    assert.equal(client.state, State.CONNECTED, `minute ${minute}: a ping just written is not unanswered yet`);
    assert.equal(socket.sentOfType('ping').length, minute);
    socket.receive({ type: 'pong' }); // the answer comes after the wake-up's timers
    await settle();
  }
  assert.equal(FakeSocket.instances.length, 1, 'never reconnected');
});

test('in a background tab a link that stops answering is still dropped, at the wake-up after its ping', async () => {
  clock.throttle(60000);
  const client = newClient({ heartbeatTimeout: 10000 });
  const socket = await connected(client, { heartbeat: 25000 });
  await clock.advance(60000);
  assert.equal(socket.sentOfType('ping').length, 1);
  assert.equal(client.state, State.CONNECTED);
  await clock.advance(60000); // no pong: the ping has gone unanswered for a minute
  assert.equal(client.state, State.BACKOFF);
  assert.equal(client.states.at(-1).reason, 'heartbeat_timeout');
});

test('a client that keeps writing, so never quiet for a heartbeat, still probes a silent link and drops it', async () => {
  const client = newClient({ heartbeatTimeout: 1000 });
  const socket = await connected(client, { heartbeat: 2000 });
  for (let t = 0; t < 2000; t += 500) {
    client.send('e', t).catch(() => {});
    await clock.advance(500);
  }
  assert.equal(socket.sentOfType('ping').length, 1, 'a ping after a heartbeat without a frame from the gateway');
  await clock.advance(999);
  assert.equal(client.state, State.CONNECTED);
  await clock.advance(1);
  assert.equal(client.state, State.BACKOFF, 'the ping unanswered for heartbeatTimeout: heartbeat + heartbeatTimeout');
  assert.equal(client.states.at(-1).reason, 'heartbeat_timeout');
});

test('a link that never welcomes is given up after connectTimeout', async () => {
  const client = newClient({ connectTimeout: 4000 });
  client.connect();
  await clock.advance(4000);
  assert.equal(client.state, State.BACKOFF);
  assert.equal(client.states.at(-1).reason, 'connect_timeout');
});

// ---- messages ------------------------------------------------------------------------------------------------

test('splits frames on newlines, drops duplicates and older offsets, delivers each once in order', async () => {
  const client = newClient();
  const socket = await connected(client);
  const m = (topic, offset, epoch = 'e1') => ({ type: 'message', topic, epoch, offset, data: { offset } });
  socket.receive(m('a', 1), m('b', 7), m('a', 2));
  socket.receive(m('a', 2), m('a', 1), m('a', 3), m('a', 1, 'e2'));
  assert.deepEqual(client.events.message.map((e) => `${e.topic}:${e.epoch}:${e.offset}`),
    ['a:e1:1', 'b:e1:7', 'a:e1:2', 'a:e1:3', 'a:e2:1']);
  assert.equal(client.stats.duplicates, 2);
  assert.deepEqual(client.positions(), { a: { epoch: 'e2', offset: 1 }, b: { epoch: 'e1', offset: 7 } });
});

test('gaps are surfaced and move the position past the lost range', async () => {
  const client = newClient();
  client.subscribe('t');
  const socket = await connected(client);
  socket.receive({ type: 'message', topic: 't', epoch: 'e1', offset: 4, data: null },
    { type: 'gap', topic: 't', epoch: 'e1', from: 5, to: 9 });
  assert.deepEqual(client.events.gap, [{ topic: 't', epoch: 'e1', from: 5, to: 9, reset: false, detectedBy: 'gateway' }]);
  assert.deepEqual(client.positions().t, { epoch: 'e1', offset: 9 });
  socket.receive({ type: 'gap', topic: 't', epoch: 'e2', reset: true });
  assert.equal(client.positions().t, undefined);
  assert.equal(client.events.gap[1].reset, true);
});

test('offsets skipped on a topic subscribed by name are reported as a client-detected gap', async () => {
  const client = newClient();
  client.subscribe(['t', 'p/*']);
  const socket = await connected(client);
  const m = (topic, offset) => ({ type: 'message', topic, epoch: 'e1', offset, data: null });
  socket.receive(m('t', 1), m('t', 4), m('p/x', 1), m('p/x', 5));
  assert.deepEqual(client.events.gap, [{ topic: 't', epoch: 'e1', from: 2, to: 3, reset: false, detectedBy: 'client' }],
    'patterns resume live: their topics may skip');
  client.ignore('t');
  socket.receive(m('t', 6));
  client.unignore('t');
  socket.receive(m('t', 9), m('t', 11));
  assert.deepEqual(client.events.gap.map((g) => `${g.from}-${g.to}`), ['2-3', '10-10'],
    'no gap while ignored, nor for the jump after an unignore');
});

test('directs reach the app', async () => {
  const client = newClient();
  const socket = await connected(client);
  socket.receive({ type: 'direct', event: 'echo', data: { hi: 1 } });
  assert.deepEqual(client.events.direct, [{ event: 'echo', data: { hi: 1 } }]);
});

// ---- requests and resubscription -------------------------------------------------------------------------------

test('subscribe resolves on subscribed and rejects on error, dropping what it added', async () => {
  const client = newClient();
  const socket = await connected(client);
  const ok = client.subscribe(['prices/*', 'news/markets']);
  await settle();
  const [request] = socket.sentOfType('subscribe');
  assert.deepEqual(request.topics, ['prices/*', 'news/markets']);
  socket.receive({ type: 'subscribed', id: request.id, topics: request.topics });
  assert.deepEqual(await ok, ['prices/*', 'news/markets']);
  const refused = client.subscribe('secret/x');
  await settle();
  const second = socket.sentOfType('subscribe')[1];
  socket.receive({ type: 'error', id: second.id, code: 'not_allowed', message: 'no' });
  await assert.rejects(refused, { code: 'not_allowed' });
  assert.deepEqual(client.subscriptions, ['prices/*', 'news/markets']);
  await assert.rejects(client.subscribe('bad//topic'), { code: 'invalid_topic' });
});

test('subscribe with an app-kept since sends it and dedupes against it', async () => {
  const client = newClient();
  const socket = await connected(client);
  client.subscribe('prices/EURUSD', { since: { 'prices/EURUSD': { epoch: 'e1', offset: 41 } } });
  await settle();
  assert.deepEqual(socket.sentOfType('subscribe')[0].since, { 'prices/EURUSD': { epoch: 'e1', offset: 41 } });
  socket.receive({ type: 'message', topic: 'prices/EURUSD', epoch: 'e1', offset: 41, data: 1 });
  assert.equal(client.events.message.length, 0);
});

test('after a reconnect to a new session, exact topics are subscribed again with since and ignores restored', async () => {
  const client = newClient();
  client.subscribe(['prices/EURUSD', 'news/*']);
  client.ignore('news/sports');
  const first = await connected(client);
  assert.deepEqual(first.sentOfType('subscribe')[0].topics, ['prices/EURUSD', 'news/*']);
  assert.equal(first.sentOfType('subscribe')[0].since, undefined, 'nothing seen yet');
  first.receive({ type: 'message', topic: 'prices/EURUSD', epoch: 'e1', offset: 41, data: 1 },
    { type: 'message', topic: 'news/markets', epoch: 'e9', offset: 3, data: 1 });
  first.drop(1006);
  await clock.advance(500);
  const second = FakeSocket.last();
  second.welcome({ session: 's-2', restored: null }); // the resume failed: the URL's positions went unused
  await settle();
  const [resubscribe] = second.sentOfType('subscribe');
  assert.deepEqual(resubscribe.topics, ['prices/EURUSD', 'news/*']);
  assert.deepEqual(resubscribe.since, { 'prices/EURUSD': { epoch: 'e1', offset: 41 } }, 'exact topics only');
  assert.deepEqual(second.sentOfType('ignore')[0].topics, ['news/sports']);
  assert.equal(second.frames.length, 1, 'the sync leaves as one frame');
});

test('without a resume token nothing is written before the welcome', async () => {
  const client = newClient();
  client.subscribe('prices/EURUSD', { since: { 'prices/EURUSD': { epoch: 'e1', offset: 41 } } });
  client.connect();
  await settle();
  const socket = FakeSocket.last();
  socket.open();
  await settle();
  assert.equal(socket.frames.length, 0);
  socket.welcome();
  await settle();
  assert.deepEqual(socket.sentOfType('subscribe')[0].since, { 'prices/EURUSD': { epoch: 'e1', offset: 41 } });
});

test('a resume gives the gateway the client\'s own positions in the URL, and asks nothing again for what it restored', async () => {
  const client = newClient();
  client.subscribe(['prices/EURUSD', 'prices/GBPUSD', 'prices/*', 'clock/utc']);
  const first = await connected(client);
  const m = (topic, offset) => ({ type: 'message', topic, epoch: 'e1', offset, data: { offset } });
  first.receive(m('prices/EURUSD', 41), m('prices/GBPUSD', 7), m('prices/USDJPY', 3));
  first.drop(1006); // the gateway may have written 42 and 43 into the dying link
  await clock.advance(500);
  const second = FakeSocket.last();
  assert.equal(second.url.searchParams.get('resume'), 'tok-1');
  assert.deepEqual(JSON.parse(second.url.searchParams.get('since')),
    { 'prices/EURUSD': { epoch: 'e1', offset: 41 }, 'prices/GBPUSD': { epoch: 'e1', offset: 7 } },
    'exact topics with a position: not the pattern, nor its topics, nor one without a message yet');
  second.open();
  await settle();
  assert.equal(second.frames.length, 0);
  second.welcome({ restored: { subscriptions: ['prices/EURUSD', 'prices/GBPUSD', 'prices/*', 'clock/utc'], ignores: [] } });
  await settle();
  assert.equal(second.frames.length, 0, 'the gateway restored from the URL\'s positions');
  assert.equal(client.events.welcome.at(-1).resumed, true);
  assert.equal(client.stats.resumed, 1);
  second.receive(m('prices/EURUSD', 42), m('prices/EURUSD', 43), m('prices/GBPUSD', 8), m('prices/EURUSD', 44));
  assert.deepEqual(client.events.message.slice(3).map((e) => `${e.topic}:${e.offset}`),
    ['prices/EURUSD:42', 'prices/EURUSD:43', 'prices/GBPUSD:8', 'prices/EURUSD:44']);
  assert.deepEqual(client.events.gap, []);
});

test('a resume on another replica keeps only the session: the URL\'s positions go in a subscribe again', async () => {
  const client = newClient();
  client.subscribe(['a/t', 'p/*']);
  const first = await connected(client);
  first.receive({ type: 'message', topic: 'a/t', epoch: 'e1', offset: 5, data: null });
  first.drop(1012);
  await clock.advance(500);
  const second = FakeSocket.last();
  assert.ok(second.url.searchParams.get('since'));
  second.welcome({ restored: { subscriptions: [], ignores: [] } });
  await settle();
  const [request] = second.sentOfType('subscribe');
  assert.deepEqual({ topics: request.topics, since: request.since },
    { topics: ['a/t', 'p/*'], since: { 'a/t': { epoch: 'e1', offset: 5 } } });
});

test('positions that do not fit in the URL are asked as the socket opens, even for subscriptions the gateway restored', async () => {
  const client = newClient({ maxUrlLength: 0 });
  client.subscribe(['prices/EURUSD', 'prices/GBPUSD', 'prices/*', 'clock/utc']);
  const first = await connected(client);
  const m = (topic, offset) => ({ type: 'message', topic, epoch: 'e1', offset, data: { offset } });
  first.receive(m('prices/EURUSD', 41), m('prices/GBPUSD', 7), m('prices/USDJPY', 3));
  first.drop(1006); // the gateway may have written 42 and 43 into the dying link: it restores from 43
  await clock.advance(500);
  const second = FakeSocket.last();
  assert.equal(second.url.searchParams.get('resume'), 'tok-1');
  assert.equal(second.url.searchParams.get('since'), null);
  second.open();
  await settle();
  assert.equal(second.frames.length, 1, 'written before the welcome, as one frame');
  const [early] = second.sent;
  assert.deepEqual(early, { type: 'subscribe', id: early.id, topics: ['prices/EURUSD', 'prices/GBPUSD'],
    since: { 'prices/EURUSD': { epoch: 'e1', offset: 41 }, 'prices/GBPUSD': { epoch: 'e1', offset: 7 } } });
  second.welcome({ restored: { subscriptions: ['prices/EURUSD', 'prices/GBPUSD', 'prices/*', 'clock/utc'], ignores: [] } });
  await settle();
  assert.equal(second.frames.length, 1, 'nothing asked twice');
  second.receive({ type: 'subscribed', id: early.id, topics: early.topics },
    m('prices/EURUSD', 41), m('prices/EURUSD', 42), m('prices/EURUSD', 43), m('prices/GBPUSD', 8), m('prices/EURUSD', 44));
  assert.deepEqual(client.events.message.slice(3).map((e) => `${e.topic}:${e.offset}`),
    ['prices/EURUSD:42', 'prices/EURUSD:43', 'prices/GBPUSD:8', 'prices/EURUSD:44']);
  assert.equal(client.stats.duplicates, 1);
  assert.deepEqual(client.events.gap, []);
});

test('the resume URL carries the same positions as since, unless that would make it too long', async () => {
  const client = newClient();
  client.subscribe(['a/t', 'p/*']);
  const first = await connected(client);
  assert.equal(first.url.searchParams.get('since'), null, 'nothing to resume yet');
  first.receive({ type: 'message', topic: 'a/t', epoch: 'e1', offset: 5, data: null },
    { type: 'message', topic: 'p/x', epoch: 'e1', offset: 2, data: null });
  first.drop(1006);
  await clock.advance(500);
  const second = FakeSocket.last();
  assert.equal(second.url.searchParams.get('resume'), 'tok-1');
  assert.deepEqual(JSON.parse(second.url.searchParams.get('since')), { 'a/t': { epoch: 'e1', offset: 5 } });
  second.welcome({ restored: { subscriptions: ['a/t', 'p/*'], ignores: [] } });
  await settle();
  const many = Array.from({ length: 200 }, (_, i) => `topic/number-${i}`);
  client.subscribe(many);
  await settle();
  second.receive(...many.map((topic) => ({ type: 'message', topic, epoch: 'e1', offset: 1, data: null })));
  second.drop(1006);
  await clock.advance(1000);
  const third = FakeSocket.last();
  assert.notEqual(third, second);
  assert.equal(third.url.searchParams.get('since'), null);
  assert.ok(third.url.toString().length < 3072);
  third.open();
  await settle();
  assert.equal(Object.keys(third.sentOfType('subscribe')[0].since).length, 201, 'the subscribe still asks');
});

test('a resume whose welcome restored the subscriptions sends nothing again when nothing was delivered', async () => {
  const client = newClient();
  client.subscribe(['prices/EURUSD']);
  const first = await connected(client);
  first.drop(1012, 'service restart');
  await clock.advance(500);
  const second = FakeSocket.last();
  second.open();
  await settle();
  second.welcome({ restored: { subscriptions: ['prices/EURUSD'], ignores: [] } });
  await settle();
  assert.equal(second.frames.length, 0);
  assert.equal(client.events.welcome.at(-1).resumed, true);
});

test('a position the app moves while the socket opens is asked again after the welcome', async () => {
  const client = newClient();
  client.subscribe(['a/t', 'b/t', 'ignored/t']);
  const first = await connected(client);
  const m = (topic, offset) => ({ type: 'message', topic, epoch: 'e1', offset, data: null });
  first.receive(m('a/t', 5), m('b/t', 9), m('ignored/t', 2));
  client.ignore('ignored/*');
  first.drop(1006);
  await clock.advance(500);
  const second = FakeSocket.last();
  assert.deepEqual(JSON.parse(second.url.searchParams.get('since')),
    { 'a/t': { epoch: 'e1', offset: 5 }, 'b/t': { epoch: 'e1', offset: 9 } }, 'an ignored topic is not recovered');
  second.open();
  await settle();
  const moved = client.subscribe('b/t', { since: { 'b/t': { epoch: 'e1', offset: 12 } } }); // the app has more
  const behind = client.subscribe('a/t', { since: { 'a/t': { epoch: 'e1', offset: 3 } } }); // 4..5 were delivered
  second.welcome({ restored: { subscriptions: ['a/t', 'b/t', 'ignored/t'], ignores: ['ignored/*'] } });
  await settle();
  const [again] = second.sentOfType('subscribe');
  assert.equal(second.sentOfType('subscribe').length, 1, 'a position behind what was delivered moves nothing');
  assert.deepEqual({ topics: again.topics, since: again.since }, { topics: ['b/t'], since: { 'b/t': { epoch: 'e1', offset: 12 } } });
  second.receive({ type: 'subscribed', id: again.id, topics: again.topics });
  assert.deepEqual(await moved, ['b/t']);
  assert.deepEqual(await behind, ['a/t']);
});

test('a resume that asked before the welcome settles waiting requests with that answer; a refusal costs only the refused topic', async () => {
  const client = newClient({ maxUrlLength: 0 });
  const initial = client.subscribe(['a/t', 'b/t']);
  const first = await connected(client);
  first.receive({ type: 'message', topic: 'a/t', epoch: 'e1', offset: 1, data: null },
    { type: 'message', topic: 'b/t', epoch: 'e1', offset: 1, data: null });
  first.drop(1006);
  const pending = client.subscribe('a/t');
  const other = client.subscribe('b/t');
  let settled = false;
  pending.then(() => { settled = true; }, () => { settled = true; });
  await clock.advance(500);
  const second = FakeSocket.last();
  second.open();
  await settle();
  second.welcome({ restored: { subscriptions: ['a/t', 'b/t'], ignores: [] } });
  await settle();
  assert.equal(settled, false, 'waits for the answer to the request sent before the welcome');
  const [early] = second.sent;
  assert.deepEqual(early.topics, ['a/t', 'b/t']);
  // refused as a whole (say, a fresh token no longer allows a/t): each topic is asked on its own
  second.receive({ type: 'error', id: early.id, code: 'not_allowed', message: 'no' });
  await settle();
  const [aAlone, bAlone] = second.sentOfType('subscribe').slice(1);
  assert.deepEqual([aAlone.topics, aAlone.since, bAlone.topics, bAlone.since],
    [['a/t'], { 'a/t': { epoch: 'e1', offset: 1 } }, ['b/t'], { 'b/t': { epoch: 'e1', offset: 1 } }]);
  second.receive({ type: 'error', id: aAlone.id, code: 'not_allowed', message: 'no' },
    { type: 'subscribed', id: bAlone.id, topics: ['b/t'] });
  await assert.rejects(pending, { code: 'not_allowed' });
  await assert.rejects(initial, { code: 'not_allowed' }, 'the first request was never answered: this is its answer');
  assert.deepEqual(await other, ['b/t']);
  assert.deepEqual(client.subscriptions, ['b/t']);
  assert.deepEqual(second.sentOfType('unsubscribe').map((r) => r.topics), [['a/t']],
    'the gateway had kept a/t from before: taken back there too, so that the two agree');
  assert.deepEqual(client.events.error.map((e) => ({ code: e.code, topics: e.topics })),
    [{ code: 'not_allowed', topics: ['a/t'] }]);
});

test('a restore refused for a while (rate_limited) is asked again on the same link after a delay', async () => {
  const client = newClient();
  client.subscribe(['a/t', 'b/t']);
  const first = await connected(client);
  const second = await newSessionAfterDrop(first);
  const [request] = second.sentOfType('subscribe');
  second.receive({ type: 'error', id: request.id, code: 'rate_limited', message: 'slow down' });
  await settle();
  assert.equal(second.sentOfType('subscribe').length, 1);
  assert.deepEqual(client.subscriptions, ['a/t', 'b/t'], 'kept: it passes');
  await clock.advance(1000);
  const [, again] = second.sentOfType('subscribe');
  assert.deepEqual(again.topics, ['a/t', 'b/t']);
  assert.deepEqual(client.events.error, []);
});

test('a restore larger than maxFrameSize goes in several requests instead of being dropped', async () => {
  const client = newClient({ maxFrameSize: 400 });
  const topics = Array.from({ length: 40 }, (_, i) => `room/${String(i).padStart(3, '0')}`);
  client.subscribe(topics);
  const first = await connected(client);
  first.receive(...topics.map((topic) => ({ type: 'message', topic, epoch: 'e1', offset: 7, data: null })));
  const second = await newSessionAfterDrop(first);
  const requests = second.sentOfType('subscribe');
  assert.ok(requests.length > 1 && requests.length <= 10, `${requests.length} requests: as full as the limit allows`);
  assert.deepEqual(requests.flatMap((r) => r.topics), topics);
  for (const r of requests) {
    assert.deepEqual(Object.keys(r.since), r.topics);
    assert.ok(JSON.stringify(r).length <= 400, JSON.stringify(r).length);
  }
  assert.deepEqual(client.subscriptions, topics);
  assert.deepEqual(client.events.error, []);
});

test('a link lost before its welcome asks again on the next one', async () => {
  const client = newClient({ maxUrlLength: 0 });
  client.subscribe('a/t');
  const first = await connected(client);
  first.receive({ type: 'message', topic: 'a/t', epoch: 'e1', offset: 4, data: null });
  first.drop(1006);
  await clock.advance(500);
  const second = FakeSocket.last();
  second.open();
  await settle();
  assert.equal(second.sentOfType('subscribe').length, 1);
  second.drop(1006);
  await clock.advance(1000);
  const third = FakeSocket.last();
  assert.notEqual(third, second);
  third.open();
  await settle();
  third.welcome({ restored: { subscriptions: ['a/t'], ignores: [] } });
  await settle();
  assert.deepEqual(third.sentOfType('subscribe').map((r) => r.since), [{ 'a/t': { epoch: 'e1', offset: 4 } }]);
  assert.equal(client.state, State.CONNECTED);
});

test('requests made while disconnected settle after the next welcome', async () => {
  const client = newClient();
  const first = await connected(client);
  first.drop(1006);
  const pending = client.subscribe('clock/utc');
  await clock.advance(500);
  const second = FakeSocket.last();
  second.welcome({ restored: { subscriptions: [], ignores: [] } });
  await settle();
  const [request] = second.sentOfType('subscribe');
  second.receive({ type: 'subscribed', id: request.id, topics: request.topics });
  assert.deepEqual(await pending, ['clock/utc']);
});

// ---- sends ----------------------------------------------------------------------------------------------------

test('send resolves on ack and rejects with the error code', async () => {
  const client = newClient();
  const socket = await connected(client);
  const ok = client.send('chat.post', { text: 'hi' });
  const bad = client.send('chat.post', { text: 'no' });
  await settle();
  const [a, b] = socket.sentOfType('send');
  assert.deepEqual({ event: a.event, data: a.data }, { event: 'chat.post', data: { text: 'hi' } });
  assert.equal(socket.frames.length, 1, 'two sends in one task leave as one frame');
  socket.receive({ type: 'ack', id: a.id }, { type: 'error', id: b.id, code: 'forbidden_word', message: 'no' });
  assert.deepEqual(await ok, { id: a.id });
  await assert.rejects(bad, { code: 'forbidden_word', id: b.id });
});

test('sends without a link wait in order, bounded, and are flushed after the welcome', async () => {
  const client = newClient({ sendQueueCapacity: 2 });
  const first = await connected(client);
  first.drop(1006);
  const one = client.send('e', 1);
  const two = client.send('e', 2);
  await assert.rejects(client.send('e', 3), { code: 'upstream_unavailable' });
  await clock.advance(500);
  const second = FakeSocket.last();
  second.welcome({ restored: { subscriptions: [], ignores: [] } });
  await settle();
  const frames = second.sentOfType('send');
  assert.deepEqual(frames.map((f) => f.data), [1, 2]);
  second.receive(...frames.map((f) => ({ type: 'ack', id: f.id })));
  await Promise.all([one, two]);
});

test('a queued send rejects with upstream_unavailable when no link comes in time', async () => {
  health.statuses.push(...Array(20).fill(503));
  const client = newClient({ sendTimeout: 3000 });
  client.connect();
  const rejected = assert.rejects(client.send('e', 1),
    { code: 'upstream_unavailable', message: 'no connection to the gateway in time' });
  await clock.advance(3000);
  await rejected;
});

test('a send in flight is written again with its id after a resume; a duplicate in-flight error is not its end', async () => {
  const client = newClient();
  const first = await connected(client);
  const pending = client.send('chat.post', { text: 'x' });
  await settle();
  const [original] = first.sentOfType('send');
  first.drop(1006);
  await clock.advance(500);
  const second = FakeSocket.last();
  second.welcome({ restored: { subscriptions: [], ignores: [] } });
  await settle();
  const [again] = second.sentOfType('send');
  assert.equal(again.id, original.id);
  second.receive({ type: 'error', id: again.id, code: 'bad_request', message: 'duplicate id: a request with this id is still in flight' });
  second.receive({ type: 'ack', id: again.id });
  assert.deepEqual(await pending, { id: original.id });
});

test('a send in flight when the session was lost rejects: its outcome is unknown', async () => {
  const client = newClient();
  const first = await connected(client);
  const rejected = assert.rejects(client.send('chat.post', { text: 'x' }), { code: 'upstream_unavailable' });
  await settle();
  first.drop(1006);
  await clock.advance(500);
  FakeSocket.last().welcome({ session: 's-new', restored: null });
  await rejected;
  assert.equal(FakeSocket.last().sentOfType('send').length, 0);
});

test('a send larger than maxFrameSize is refused locally instead of earning a 1009', async () => {
  const client = newClient({ maxFrameSize: 100 });
  await connected(client);
  await assert.rejects(client.send('e', 'x'.repeat(200)), { code: 'message_too_big' });
  assert.equal(client.state, State.CONNECTED);
});

test('close() closes with 1000 and rejects what is pending', async () => {
  const client = newClient();
  const socket = await connected(client);
  const pending = client.send('e', 1);
  client.close();
  assert.deepEqual(socket.closedWith, { code: 1000, reason: 'closed by the client' });
  await assert.rejects(pending, { code: 'closed' });
  assert.equal(client.state, State.CLOSED);
});

// ---- edges found in review (2026-11-26) ------------------------------------------------------------------------

test('reconnect() during a backoff wait tries at once', async () => {
  const client = newClient();
  const socket = await connected(client, { resume: 'R' });
  socket.drop(1006); // the wait would be 500 ms with random 0.5
  assert.equal(client.state, State.BACKOFF);
  client.reconnect();
  await settle();
  assert.equal(FakeSocket.instances.length, 2, 'a new socket without waiting for the backoff');
  assert.equal(FakeSocket.last().url.searchParams.get('resume'), 'R');
});

test('a getToken() that never settles is given up after tokenTimeout, and the client backs off and tries again', async () => {
  let calls = 0;
  const client = newClient({ getToken: () => { calls++; return calls === 1 ? new Promise(() => {}) : 'fresh'; },
    tokenTimeout: 3000 });
  client.connect();
  await settle();
  assert.equal(client.state, State.PROBING);
  await clock.advance(3000);
  assert.equal(client.state, State.BACKOFF);
  assert.equal(client.events.error[0].code, 'token_refresh_failed');
  await clock.advance(500);
  assert.equal(calls, 2);
  assert.equal(FakeSocket.last().url.searchParams.get('token'), 'fresh');
});

test('positions of topics a pattern brings are bounded, least recently delivered first; exact subscriptions stay', async () => {
  const client = newClient({ maxPatternPositions: 3 });
  client.subscribe(['chat/**', 'prices/EURUSD']);
  const socket = await connected(client);
  const m = (topic, offset) => ({ type: 'message', topic, epoch: 'e1', offset, data: null });
  // at most maxPatternPositions more positions than subscriptions: 5 here
  socket.receive(m('prices/EURUSD', 1), m('chat/a', 1), m('chat/b', 1), m('chat/c', 1), m('chat/d', 1), m('chat/a', 2),
    m('chat/e', 1));
  assert.deepEqual(Object.keys(client.positions()).sort(), ['chat/a', 'chat/c', 'chat/d', 'chat/e', 'prices/EURUSD'],
    'chat/b went: delivered least recently');
  socket.receive(m('chat/f', 1), m('chat/g', 1), m('chat/h', 1), m('chat/i', 1));
  assert.deepEqual(Object.keys(client.positions()).sort(), ['chat/f', 'chat/g', 'chat/h', 'chat/i', 'prices/EURUSD']);
});

test('what a welcome or state listener writes goes after the restore and the sends that were waiting', async () => {
  const client = newClient();
  client.subscribe('a/t');
  const queued = client.send('first', 1);
  client.on('welcome', () => { client.send('from-listener', 2); });
  const socket = await connected(client);
  assert.deepEqual(socket.sent.map((l) => l.type === 'send' ? l.event : l.type), ['subscribe', 'first', 'from-listener']);
  socket.receive({ type: 'ack', id: socket.sent[1].id });
  await queued;
});

test('a refused unsubscribe or unignore leaves the client as the gateway is', async () => {
  const client = newClient();
  client.subscribe('a/t');
  client.ignore('a/x');
  const socket = await connected(client);
  const unsubscribing = client.unsubscribe('a/t');
  const unignoring = client.unignore('a/x');
  await settle();
  const [unsubscribe] = socket.sentOfType('unsubscribe');
  const [unignore] = socket.sentOfType('unignore');
  socket.receive({ type: 'error', id: unsubscribe.id, code: 'rate_limited', message: 'slow down' },
    { type: 'error', id: unignore.id, code: 'rate_limited', message: 'slow down' });
  await assert.rejects(unsubscribing, { code: 'rate_limited' });
  await assert.rejects(unignoring, { code: 'rate_limited' });
  assert.deepEqual(client.subscriptions, ['a/t']);
  assert.deepEqual(client.ignores, ['a/x']);
});

test('a refused unsubscribe keeps the topic\'s position, so the next session still recovers it', async () => {
  const client = newClient();
  client.subscribe('a/t');
  const socket = await connected(client);
  socket.receive({ type: 'message', topic: 'a/t', epoch: 'e1', offset: 50, data: 1 });
  const unsubscribing = client.unsubscribe('a/t');
  await settle();
  socket.receive({ type: 'error', id: socket.sentOfType('unsubscribe')[0].id, code: 'rate_limited', message: 'no' });
  await assert.rejects(unsubscribing, { code: 'rate_limited' });
  const next = await newSessionAfterDrop(socket);
  const [restore] = next.sentOfType('subscribe');
  assert.deepEqual(restore.topics, ['a/t']);
  assert.deepEqual(restore.since, { 'a/t': { epoch: 'e1', offset: 50 } }, 'what was published meanwhile comes back');
});

test('a malformed frame from the gateway is reported, and the rest of the frame still delivered', async () => {
  const client = newClient();
  client.subscribe('a/t');
  const socket = await connected(client);
  socket.receive('null', { type: 'message', topic: 'a/t', epoch: 'e1', offset: 1, data: 1 });
  const bad = Buffer.from([1, 0, 200, 0x61, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // a topic length past the frame's end
  socket.onmessage({ data: bad.buffer.slice(bad.byteOffset, bad.byteOffset + bad.length) });
  assert.deepEqual(client.events.error.map((e) => e.code), ['bad_frame', 'bad_frame']);
  assert.deepEqual(client.events.message.map((e) => e.offset), [1]);
});

test('a new session gets its ignores before its subscriptions, and no since for ignored topics', async () => {
  const client = newClient();
  client.subscribe(['a/t', 'b/t']);
  const first = await connected(client);
  first.receive({ type: 'message', topic: 'a/t', epoch: 'e1', offset: 4, data: null },
    { type: 'message', topic: 'b/t', epoch: 'e1', offset: 9, data: null });
  client.ignore('b/*');
  await settle();
  first.receive({ type: 'ignored', id: first.sentOfType('ignore')[0].id, topics: ['b/*'] });
  const second = await newSessionAfterDrop(first);
  assert.deepEqual(second.sent.map((l) => l.type), ['ignore', 'subscribe']);
  assert.deepEqual(second.sentOfType('subscribe')[0].since, { 'a/t': { epoch: 'e1', offset: 4 } });
});

test('writes are paced under the gateway\'s rate limit: a burst, then requestRate a second', async () => {
  const client = newClient({ requestRate: 100, requestBurst: 200, sendTimeout: 60000 });
  const socket = await connected(client);
  const sends = Array.from({ length: 500 }, (_, i) => client.send('e', i));
  sends.forEach((p) => p.catch(() => {}));
  await settle();
  assert.equal(socket.sentOfType('send').length, 200, 'the burst');
  await clock.advance(1000);
  assert.equal(socket.sentOfType('send').length, 300, 'then 100 a second');
  assert.ok(socket.frames.length < 20, `${socket.frames.length} frames: paced lines leave several to a frame`);
  assert.deepEqual(socket.sentOfType('send').map((l) => l.data), Array.from({ length: 300 }, (_, i) => i), 'in order');
  await clock.advance(3000);
  assert.equal(socket.sentOfType('send').length, 500);
});

test('a send still waiting for its turn when the link drops was never written: a new session writes it, not rejects it', async () => {
  const client = newClient({ requestRate: 10, requestBurst: 1, sendTimeout: 60000 });
  const socket = await connected(client);
  const first = client.send('e', 1);
  first.catch(() => {});
  const second = client.send('e', 2);
  await settle();
  assert.equal(socket.sentOfType('send').length, 1);
  socket.drop(1006);
  await clock.advance(500);
  const next = FakeSocket.last();
  next.welcome({ session: 's-2', restored: null });
  await clock.advance(200);
  assert.deepEqual(next.sentOfType('send').map((l) => l.data), [2], 'the written one is of unknown outcome; the other goes');
  next.receive({ type: 'ack', id: next.sentOfType('send')[0].id });
  await second;
  await assert.rejects(first, { code: 'upstream_unavailable' });
});

test('a ping does not wait behind paced writes', async () => {
  const client = newClient({ requestRate: 1, requestBurst: 1, sendTimeout: 600000 });
  const socket = await connected(client, { heartbeat: 1000 });
  for (let i = 0; i < 5; i++) client.send('e', i).catch(() => {});
  await settle();
  socket.receive({ type: 'pong' });
  await clock.advance(1000);
  assert.ok(socket.sentOfType('ping').length >= 1, 'pinged while sends wait');
  assert.ok(socket.sentOfType('send').length < 5);
});

test('a send that times out while waiting for its turn is never written', async () => {
  const client = newClient({ requestRate: 0.1, requestBurst: 1, sendTimeout: 2000 }); // one write per 10 s
  const socket = await connected(client);
  client.send('e', 0).catch(() => {});
  const late = client.send('e', 1);
  late.catch(() => {});
  await settle();
  assert.equal(socket.sentOfType('send').length, 1);
  await clock.advance(2000);
  await assert.rejects(late, { code: 'upstream_unavailable', message: 'no connection to the gateway in time' });
  await clock.advance(30000);
  assert.deepEqual(socket.sentOfType('send').map((l) => l.data), [0], 'the app was told it failed: it never leaves');
});

test('a restore carried to the next link settles each waiting call by its own topic', async () => {
  const client = newClient();
  const first = await connected(client);
  first.drop(1006);
  const a = client.subscribe('a/t');
  const b = client.subscribe('b/t');
  a.catch(() => {});
  const second = await welcomedAsNewSession();
  assert.deepEqual(second.sentOfType('subscribe')[0].topics, ['a/t', 'b/t']);
  second.drop(1006); // before the answer: the request goes on to the next link
  await clock.advance(1000);
  const third = FakeSocket.last();
  third.welcome({ session: 's-3', restored: null });
  await settle();
  const [both] = third.sentOfType('subscribe');
  third.receive({ type: 'error', id: both.id, code: 'not_allowed', message: 'no' });
  await settle();
  const [aAlone, bAlone] = third.sentOfType('subscribe').slice(1);
  third.receive({ type: 'error', id: aAlone.id, code: 'not_allowed', message: 'no' },
    { type: 'subscribed', id: bAlone.id, topics: ['b/t'] });
  await assert.rejects(a, { code: 'not_allowed' });
  assert.deepEqual(await b, ['b/t']);
  assert.deepEqual(client.subscriptions, ['b/t']);
});

test('a restore retry leaves out what the app let go meanwhile', async () => {
  const client = newClient();
  client.subscribe(['a/t', 'b/t']);
  const first = await connected(client);
  const second = await newSessionAfterDrop(first);
  const [request] = second.sentOfType('subscribe');
  second.receive({ type: 'error', id: request.id, code: 'rate_limited', message: 'slow down' });
  client.unsubscribe('a/t');
  await clock.advance(1000);
  assert.deepEqual(second.sentOfType('subscribe').map((r) => r.topics), [['a/t', 'b/t'], ['b/t']]);
});

/** An offline subscribe whose restore on the next link is refused with rate_limited: it waits on a retry. */
async function waitingOnARestoreRetry(client) {
  const first = await connected(client);
  first.drop(1006);
  const pending = client.subscribe('a/t');
  const second = await welcomedAsNewSession();
  const [request] = second.sentOfType('subscribe');
  second.receive({ type: 'error', id: request.id, code: 'rate_limited', message: 'slow down' });
  await settle();
  return { pending, second };
}

test('close() during a restore retry rejects the calls waiting on it with closed', async () => {
  const client = newClient();
  const { pending, second } = await waitingOnARestoreRetry(client);
  client.close();
  await assert.rejects(pending, { code: 'closed' });
  await clock.advance(60000);
  assert.equal(second.sentOfType('subscribe').length, 1, 'no retry after close()');
});

test('close() while the health probe or getToken() is pending leaves no timer and aborts the probe', async () => {
  let signal = null;
  const probing = newClient({ fetch: (url, init) => { signal = init.signal; return new Promise(() => {}); } });
  probing.connect();
  await settle();
  assert.equal(probing.state, State.PROBING);
  probing.close();
  assert.equal(clock.timers.size, 0, 'the probe timeout went with the stop');
  assert.ok(signal.aborted, 'the probe request is aborted');

  const tokenWait = newClient({ getToken: () => new Promise(() => {}) });
  tokenWait.connect();
  await settle();
  assert.equal(tokenWait.state, State.PROBING);
  tokenWait.close();
  assert.equal(clock.timers.size, 0, 'the token time limit went with the stop');
  await clock.advance(60000);
  assert.equal(FakeSocket.instances.length, 0);
});

test('a stop by the gateway during a restore retry rejects the calls waiting on it with closed', async () => {
  const client = newClient();
  const { pending, second } = await waitingOnARestoreRetry(client);
  second.drop(4001, 'replaced');
  await assert.rejects(pending, { code: 'closed' });
  assert.equal(client.state, State.CLOSED);
});

test('a call waiting on a restore refused with rate_limited settles once the retry is answered', async () => {
  const client = newClient();
  const first = await connected(client);
  first.drop(1006);
  const pending = client.subscribe('a/t');
  const second = await welcomedAsNewSession();
  second.receive({ type: 'error', id: second.sentOfType('subscribe')[0].id, code: 'rate_limited', message: 'slow' });
  await clock.advance(1000);
  const retry = second.sentOfType('subscribe')[1];
  second.receive({ type: 'subscribed', id: retry.id, topics: retry.topics });
  assert.deepEqual(await pending, ['a/t']);
});

test('what a state listener writes on connected also goes after the restore', async () => {
  const client = newClient();
  client.subscribe('a/t');
  client.on('state', (e) => { if (e.state === State.CONNECTED) client.send('from-state', 1).catch(() => {}); });
  const socket = await connected(client);
  assert.deepEqual(socket.sent.map((l) => (l.type === 'send' ? l.event : l.type)), ['subscribe', 'from-state']);
});

test('after a 1009 the client keeps its requests to half its frame budget', async () => {
  const client = newClient({ maxFrameSize: 4000 });
  const socket = await connected(client, { resume: 'R' });
  socket.drop(1009, 'too big');
  await clock.advance(500);
  FakeSocket.last().welcome({ session: 's-1', restored: { subscriptions: [], ignores: [] } });
  await settle();
  await assert.rejects(client.send('big', 'x'.repeat(2500)), { code: 'message_too_big' });
});

test('a ping that takes the rate bucket below zero delays the next write instead of sending an empty frame', async () => {
  const client = newClient({ requestRate: 0.1, requestBurst: 1, sendTimeout: 600000 });
  const socket = await connected(client, { heartbeat: 1000 });
  client.send('e', 0).catch(() => {}); // the one token
  await clock.advance(1000); // a ping: the bucket goes below zero
  assert.equal(socket.sentOfType('ping').length, 1);
  client.send('e', 1).catch(() => {});
  await settle();
  assert.ok(socket.frames.every((f) => f.length > 0), 'no empty frame');
  assert.deepEqual(socket.sentOfType('send').map((l) => l.data), [0]);
});

test('close() from a state listener stops the client for good: no socket, no timer after it', async () => {
  const client = newClient({ backoff: { initial: 1000, max: 1000, multiplier: 2, stableAfter: 30000 } });
  client.on('state', (e) => { if (e.state === State.BACKOFF) client.close(); });
  const socket = await connected(client);
  socket.drop(1006);
  assert.equal(client.state, State.CLOSED);
  await clock.advance(60000);
  assert.equal(FakeSocket.instances.length, 1, 'never connected again');
  assert.equal(client.state, State.CLOSED);
  assert.deepEqual(clock.pending(), []);
  const stopped = client.subscribe('a/t');
  await assert.rejects(stopped, { code: 'closed' });
});

test('close() from a state listener on probing or connecting opens no socket', async () => {
  for (const stopOn of [State.PROBING, State.CONNECTING]) {
    FakeSocket.reset();
    const client = newClient();
    client.on('state', (e) => { if (e.state === stopOn) client.close(); });
    client.connect();
    await clock.advance(60000);
    assert.equal(FakeSocket.instances.length, 0, `stopped on ${stopOn}`);
    assert.equal(client.state, State.CLOSED);
  }
});

test('after a 1009, a send larger than the halved frame budget is refused, not written to close the link again', async () => {
  const client = newClient({ maxFrameSize: 4000 });
  const socket = await connected(client, { resume: 'R' });
  const big = client.send('big', 'x'.repeat(3000)).then(() => 'acked', (e) => e.code);
  const small = client.send('small', 1);
  await settle();
  socket.drop(1009, 'too big');
  await clock.advance(500);
  const second = FakeSocket.last();
  second.welcome({ session: 's-1', restored: { subscriptions: [], ignores: [] } });
  await settle();
  assert.equal(await big, 'message_too_big');
  assert.deepEqual(second.sentOfType('send').map((l) => l.event), ['small'], 'only the one that fits');
  second.receive({ type: 'ack', id: second.sentOfType('send')[0].id });
  await small;
  assert.equal(client.state, State.CONNECTED);
});

test('a subscribe refused as a whole does not take back a topic a later subscribe was granted', async () => {
  const client = newClient();
  const socket = await connected(client);
  const refused = client.subscribe(['chat/lobby', 'admin/x']);
  refused.catch(() => {});
  const granted = client.subscribe('chat/lobby');
  await settle();
  const [first, second] = socket.sentOfType('subscribe');
  socket.receive({ type: 'error', id: first.id, code: 'not_allowed', message: 'admin/x' },
    { type: 'subscribed', id: second.id, topics: ['chat/lobby'] });
  await assert.rejects(refused, { code: 'not_allowed' });
  await granted;
  assert.deepEqual(client.subscriptions, ['chat/lobby']);
});

test('a wall clock stepped back does not stall paced writes', async () => {
  const client = newClient({ requestRate: 100, requestBurst: 10 });
  const socket = await connected(client);
  clock.now -= 3600_000; // the system clock is set back an hour
  for (let i = 0; i < 5; i++) client.send('e', i).catch(() => {});
  await settle();
  assert.equal(socket.sentOfType('send').length, 5);
});

test('a nack for a resend still waiting for its turn takes it out of the outbox', async () => {
  const client = newClient({ requestRate: 1, requestBurst: 1, sendTimeout: 600000 });
  const socket = await connected(client, { resume: 'R' });
  const sends = [client.send('e', 0), client.send('e', 1)];
  sends.forEach((p) => p.catch(() => {}));
  await clock.advance(1000); // both written, one a second
  const written = socket.sentOfType('send');
  assert.equal(written.length, 2);
  socket.drop(1006);
  await clock.advance(500);
  const second = FakeSocket.last();
  second.welcome({ session: 's-1', restored: { subscriptions: [], ignores: [] } });
  await settle();
  assert.equal(second.sentOfType('send').length, 0, 'both resends wait for their turn');
  second.receive({ type: 'error', id: written[1].id, code: 'rejected', message: 'no' }); // its outcome, late
  await assert.rejects(sends[1], { code: 'rejected' });
  await clock.advance(5000);
  assert.deepEqual(second.sentOfType('send').map((l) => l.data), [0], 'the nacked one is not written again');
});

test('a restore refused for good hands its verdict to the app\'s call on the same topic behind it', async () => {
  const client = newClient();
  const offline = client.subscribe('t/x');
  offline.catch(() => {});
  const socket = await connected(client); // a new session: the sync subscribes t/x
  const [restore] = socket.sentOfType('subscribe');
  const again = client.subscribe('t/x'); // the app asks again, the restore still unanswered
  again.catch(() => {});
  await settle();
  const [, mine] = socket.sentOfType('subscribe');
  socket.receive({ type: 'error', id: restore.id, code: 'not_allowed', message: 'no' },
    { type: 'error', id: mine.id, code: 'not_allowed', message: 'no' });
  await assert.rejects(offline, { code: 'not_allowed' });
  await assert.rejects(again, { code: 'not_allowed' });
  assert.deepEqual(client.subscriptions, [], 'the gateway holds neither');
});

test('a call made by a listener while the client stops is rejected, not left waiting for ever', async () => {
  const client = newClient();
  const socket = await connected(client);
  let during = null;
  client.on('error', () => { if (!during) during = client.subscribe('a/t'); });
  socket.drop(1008, 'policy');
  assert.ok(during, 'the listener ran');
  await assert.rejects(during, { code: 'closed' });
});

test('a 1001 on a link that never stood for stableAfter backs off, so a proxy closing at once is not hammered', async () => {
  const client = newClient();
  client.subscribe('prices/*');
  const socket = await connected(client, { resume: 'R' });
  socket.drop(1006);
  await clock.advance(500);
  FakeSocket.last().welcome({ session: 's-1', restored: { subscriptions: ['prices/*'], ignores: [] } });
  await settle();
  FakeSocket.last().drop(1001, 'going away');
  assert.equal(client.state, State.BACKOFF);
  assert.equal(client.states.at(-1).delay, 1000, 'the backoff of attempt 1 (random 0.5 of 2000 ms)');
});

// ---- since on a flowing topic, positions of refused calls, connect() during a stop -------------------------------

/** A client subscribed to a/t whose link delivered a/t 1..5. */
async function flowingAt5(client) {
  client.subscribe('a/t');
  const socket = await connected(client);
  const [request] = socket.sentOfType('subscribe');
  socket.receive({ type: 'subscribed', id: request.id, topics: ['a/t'] },
    ...[1, 2, 3, 4, 5].map((offset) => ({ type: 'message', topic: 'a/t', epoch: 'e1', offset, data: offset })));
  return socket;
}

const at = (offset) => ({ type: 'message', topic: 'a/t', epoch: 'e1', offset, data: offset });

test('subscribe with since behind what a flowing topic delivered invents no gap and delivers what the replay brings that is new', async () => {
  const client = newClient();
  const socket = await flowingAt5(client);
  const again = client.subscribe('a/t', { since: { 'a/t': { epoch: 'e1', offset: 2 } } });
  await settle();
  const [, request] = socket.sentOfType('subscribe');
  const asked = request.since['a/t'].offset;
  // 6 was written live before the gateway read the request; then its answer, the replay after the offset asked (the
  // history reaches 7), and the live message it held meanwhile
  const replay = [];
  for (let offset = asked + 1; offset <= 7; offset++) replay.push(at(offset));
  socket.receive(at(6), { type: 'subscribed', id: request.id, topics: ['a/t'] }, ...replay, at(8));
  assert.deepEqual(await again, ['a/t']);
  assert.deepEqual(client.events.gap, [], 'nothing was lost');
  assert.deepEqual(client.events.message.map((e) => e.offset), [1, 2, 3, 4, 5, 6, 7, 8], 'each once, in order');
  assert.deepEqual(request.since, { 'a/t': { epoch: 'e1', offset: 5 } },
    'asked from what it delivered: 3..5 could only come again, and a history too short for 3 would be a gap');
  assert.deepEqual(client.positions(), { 'a/t': { epoch: 'e1', offset: 8 } });
});

test('a gap answering a since on a flowing topic reports only what the client did not deliver', async () => {
  const client = newClient();
  const socket = await flowingAt5(client);
  client.subscribe('a/t', { since: { 'a/t': { epoch: 'e1', offset: 2 } } });
  await settle();
  const [, request] = socket.sentOfType('subscribe');
  // 6 was written live before the request was read; the gateway cannot replay, and its gap stops short of the
  // first live message it held (10)
  socket.receive(at(6), { type: 'subscribed', id: request.id, topics: ['a/t'] },
    { type: 'gap', topic: 'a/t', epoch: 'e1', from: request.since['a/t'].offset + 1, to: 9 }, at(10));
  assert.deepEqual(client.events.gap, [{ topic: 'a/t', epoch: 'e1', from: 7, to: 9, reset: false, detectedBy: 'gateway' }],
    '6 arrived: only 7..9 are lost');
  assert.deepEqual(client.events.message.map((e) => e.offset), [1, 2, 3, 4, 5, 6, 10]);
});

test('subscribe with since behind what was delivered, made without a link, does not deliver those messages twice', async () => {
  const client = newClient();
  const first = await flowingAt5(client);
  first.drop(1006);
  const again = client.subscribe('a/t', { since: { 'a/t': { epoch: 'e1', offset: 2 } } });
  await clock.advance(500);
  const second = FakeSocket.last();
  const asked = JSON.parse(second.url.searchParams.get('since'))['a/t'].offset;
  second.welcome({ session: 's-1', restored: { subscriptions: ['a/t'], ignores: [] } });
  await settle();
  const replay = []; // the gateway restores the subscription from the URL's position and replays what followed
  for (let offset = asked + 1; offset <= 7; offset++) replay.push(at(offset));
  second.receive(...replay);
  assert.deepEqual(await again, ['a/t']);
  assert.deepEqual(client.events.message.map((e) => e.offset), [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(client.events.gap, []);
});

test('a refused subscribe with since leaves the positions as they were before the call', async () => {
  const client = newClient();
  const socket = await flowingAt5(client);
  const refused = client.subscribe(['a/t', 'x/t'],
    { since: { 'a/t': { epoch: 'e1', offset: 9 }, 'x/t': { epoch: 'e1', offset: 41 } } });
  await settle();
  const [, request] = socket.sentOfType('subscribe');
  socket.receive({ type: 'error', id: request.id, code: 'not_allowed', message: 'x/t' });
  await assert.rejects(refused, { code: 'not_allowed' });
  assert.deepEqual(client.positions(), { 'a/t': { epoch: 'e1', offset: 5 } }, 'neither position was granted');
  assert.deepEqual(client.subscriptions, ['a/t']);
  const next = await newSessionAfterDrop(socket);
  assert.deepEqual(next.sentOfType('subscribe').map((r) => r.since), [{ 'a/t': { epoch: 'e1', offset: 5 } }],
    'the next session recovers from what was delivered, not from the refused position');
});

test('a refused subscribe with since that waited for the link leaves the positions as they were before the call', async () => {
  const client = newClient();
  const first = await connected(client);
  first.drop(1006);
  const refused = client.subscribe('x/t', { since: { 'x/t': { epoch: 'e1', offset: 41 } } });
  const second = await welcomedAsNewSession();
  const [request] = second.sentOfType('subscribe');
  assert.deepEqual(request.since, { 'x/t': { epoch: 'e1', offset: 41 } });
  second.receive({ type: 'error', id: request.id, code: 'not_allowed', message: 'no' });
  await assert.rejects(refused, { code: 'not_allowed' });
  assert.deepEqual(client.positions(), {});
  assert.deepEqual(client.subscriptions, []);
});

test('a refused unsubscribe that waited for the link gives back the position it forgot, as an online one does', async () => {
  for (const path of ['made without a link', 'whose answer the link did not live to carry']) {
    FakeSocket.reset();
    const client = newClient();
    client.subscribe('a/t');
    const first = await connected(client);
    first.receive(at(50));
    let unsubscribing;
    if (path === 'made without a link') {
      first.drop(1006);
      unsubscribing = client.unsubscribe('a/t');
    } else {
      unsubscribing = client.unsubscribe('a/t');
      await settle();
      assert.equal(first.sentOfType('unsubscribe').length, 1);
      first.drop(1006);
    }
    unsubscribing.catch(() => {});
    await clock.advance(500);
    const second = FakeSocket.last();
    second.welcome({ session: 's-1', restored: { subscriptions: ['a/t'], ignores: [] } });
    await settle();
    const [request] = second.sentOfType('unsubscribe');
    second.receive({ type: 'error', id: request.id, code: 'bad_request', message: 'no' });
    await assert.rejects(unsubscribing, { code: 'bad_request' });
    assert.deepEqual(client.positions(), { 'a/t': { epoch: 'e1', offset: 50 } }, path);
    assert.deepEqual(client.subscriptions, ['a/t'], `${path}: the gateway keeps it, and so does the client`);
    second.drop(1006);
    await clock.advance(1000); // the second failure in a row
    const third = FakeSocket.last();
    assert.notEqual(third, second);
    third.welcome({ session: 's-2', restored: null });
    await settle();
    assert.deepEqual(third.sentOfType('subscribe').map((r) => r.since), [{ 'a/t': { epoch: 'e1', offset: 50 } }],
      `${path}: what was published meanwhile comes back`);
  }
});

for (const [code, options] of [[1008, {}], [4003, { token: 'old' }], [1009, { maxFrameSize: 1024 }]]) {
  test(`connect() from an error listener while a ${code} stops the client connects again, after a backoff wait`, async () => {
    const client = newClient(options);
    const socket = await connected(client, { resume: 'R' });
    client.on('error', () => client.connect());
    socket.drop(code, 'stop');
    assert.equal(client.events.error.length, 1, 'the stop was reported');
    assert.deepEqual(client.states.slice(-2).map((e) => [e.state, e.delay]), [[State.CLOSED, undefined], [State.BACKOFF, 500]],
      'the wait of attempt 0 (random 0.5 of 1000 ms)');
    await settle();
    assert.equal(FakeSocket.last(), socket, 'no link before the wait ends');
    await clock.advance(500);
    const next = FakeSocket.last();
    assert.notEqual(next, socket, 'a new link');
    assert.equal(next.url.searchParams.get('resume'), null, 'the stop ended the session');
    next.welcome({ session: 's-2', restored: null });
    await settle();
    assert.equal(client.state, State.CONNECTED);
  });
}

test('what a closed-state listener does after its connect() during a stop by 4001 outlives the stop', async () => {
  const client = newClient();
  const socket = await connected(client);
  let sent = null;
  client.on('state', (e) => {
    if (e.state === State.CLOSED && !sent) {
      client.connect();
      sent = client.send('hello', 1);
    }
  });
  socket.drop(4001, 'replaced');
  assert.ok(sent, 'the listener ran');
  await clock.advance(500); // the backoff wait that a connect() during a stop by the gateway goes through
  const next = FakeSocket.last();
  assert.notEqual(next, socket);
  next.welcome({ session: 's-2', restored: null });
  await settle();
  const [line] = next.sentOfType('send');
  assert.equal(line?.event, 'hello', 'the send made after connect() waits for the new link');
  next.receive({ type: 'ack', id: line.id });
  assert.deepEqual(await sent, { id: line.id });
});

test('two subscribes with since in flight on a topic: each refusal puts back what was beneath it', async () => {
  for (const [verdicts, expected] of [[['refused', 'refused'], 5], [['refused', 'granted'], 7], [['granted', 'refused'], 9]]) {
    FakeSocket.reset();
    const client = newClient();
    const socket = await flowingAt5(client);
    const calls = [9, 7].map((offset) => client.subscribe('a/t', { since: { 'a/t': { epoch: 'e1', offset } } }));
    calls.forEach((call) => call.catch(() => {}));
    await settle();
    const requests = socket.sentOfType('subscribe').slice(1);
    assert.deepEqual(requests.map((r) => r.since['a/t'].offset), [9, 7], 'the app has more than was delivered');
    socket.receive(...requests.map((r, i) => (verdicts[i] === 'granted'
      ? { type: 'subscribed', id: r.id, topics: ['a/t'] }
      : { type: 'error', id: r.id, code: 'rate_limited', message: 'slow down' })));
    await Promise.allSettled(calls);
    assert.deepEqual(client.positions(), { 'a/t': { epoch: 'e1', offset: expected } }, verdicts.join(', '));
  }
});

// ---- a refused since never stands as a position, answers applied as they are read, connect() from a stop's listener

const since9 = { since: { 'a/t': { epoch: 'e1', offset: 9 } } };
const delivered = (client) => client.events.message.map((e) => e.offset);

test('a since refused for a while, then for good on a later link, is forgotten: a later since is asked as given', async () => {
  const client = newClient();
  const first = await connected(client);
  first.drop(1006);
  const waiting = client.subscribe('x/t', { since: { 'x/t': { epoch: 'e1', offset: 41 } } });
  waiting.catch(() => {});
  const second = await welcomedAsNewSession();
  const [slow] = second.sentOfType('subscribe');
  second.receive({ type: 'error', id: slow.id, code: 'rate_limited', message: 'slow down' });
  await settle();
  second.drop(1006); // before the retry: the next link's sync asks again
  await clock.advance(1000);
  const third = FakeSocket.last();
  third.welcome({ session: 's-3', restored: null });
  await settle();
  const [again] = third.sentOfType('subscribe');
  assert.deepEqual(again.since, { 'x/t': { epoch: 'e1', offset: 41 } });
  third.receive({ type: 'error', id: again.id, code: 'not_allowed', message: 'no' });
  await settle();
  assert.deepEqual(client.subscriptions, []);
  assert.deepEqual(client.positions(), {}, 'the gateway never granted 41, and nothing was delivered');
  client.subscribe('x/t', { since: { 'x/t': { epoch: 'e1', offset: 20 } } }).catch(() => {}); // allowed again
  await settle();
  const [, later] = third.sentOfType('subscribe');
  assert.deepEqual(later.since, { 'x/t': { epoch: 'e1', offset: 20 } }, 'asked from 41, 21..41 would be lost');
});

test('a since a stop left standing and the next session refused is forgotten: a later since is asked as given', async () => {
  const client = newClient();
  const first = await connected(client);
  client.subscribe('x/t', { since: { 'x/t': { epoch: 'e1', offset: 41 } } }).catch(() => {});
  await settle();
  first.drop(4001, 'replaced'); // before the answer
  client.connect();
  await clock.advance(500); // the backoff wait of a connect() soon after a stop by the gateway
  const second = FakeSocket.last();
  second.welcome({ session: 's-2', restored: null });
  await settle();
  const [restore] = second.sentOfType('subscribe');
  assert.deepEqual(restore.since, { 'x/t': { epoch: 'e1', offset: 41 } }, 'the stop left the since standing');
  second.receive({ type: 'error', id: restore.id, code: 'not_allowed', message: 'no' });
  await settle();
  assert.deepEqual(client.positions(), {});
  client.subscribe('x/t', { since: { 'x/t': { epoch: 'e1', offset: 20 } } }).catch(() => {});
  await settle();
  const [, later] = second.sentOfType('subscribe');
  assert.deepEqual(later.since, { 'x/t': { epoch: 'e1', offset: 20 } });
});

test('live messages after the refusal of a since, in the same frame, are delivered from where the client was', async () => {
  const client = newClient();
  const socket = await flowingAt5(client);
  const refused = client.subscribe('a/t', since9);
  refused.catch(() => {});
  await settle();
  const [, request] = socket.sentOfType('subscribe');
  socket.receive({ type: 'error', id: request.id, code: 'not_allowed', message: 'no' }, at(6), at(7));
  assert.deepEqual(delivered(client), [1, 2, 3, 4, 5, 6, 7], 'written by a gateway that refused the since: live, after 5');
  await assert.rejects(refused, { code: 'not_allowed' });
  socket.receive(at(8));
  assert.deepEqual(delivered(client), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(client.events.gap, []);
  assert.equal(client.stats.duplicates, 0);
});

test('a gateway gap while a since is asked is reported from what the client delivered, once, whatever the answer', async () => {
  for (const [to, answer] of [[12, 'refused'], [7, 'refused'], [7, 'granted']]) {
    FakeSocket.reset();
    const client = newClient();
    const socket = await flowingAt5(client);
    const call = client.subscribe('a/t', since9);
    call.catch(() => {});
    await settle();
    const [, request] = socket.sentOfType('subscribe');
    socket.receive({ type: 'gap', topic: 'a/t', epoch: 'e1', from: 6, to }, answer === 'granted'
      ? { type: 'subscribed', id: request.id, topics: ['a/t'] }
      : { type: 'error', id: request.id, code: 'not_allowed', message: 'no' });
    await Promise.allSettled([call]);
    const next = Math.max(to, answer === 'granted' ? 9 : 0) + 1; // what the gateway writes next
    socket.receive(at(next));
    const label = `a gap 6..${to}, the since ${answer}`;
    assert.deepEqual(client.events.gap, [{ topic: 'a/t', epoch: 'e1', from: 6, to, reset: false, detectedBy: 'gateway' }],
      `${label}: the since was not granted when the gap came, and 6.. were not delivered`);
    assert.deepEqual(delivered(client), [1, 2, 3, 4, 5, next], label);
    assert.deepEqual(client.positions(), { 'a/t': { epoch: 'e1', offset: next } }, label);
  }
});

test('messages dropped under a since that is then refused count as the app\'s: no client gap for them', async () => {
  const client = newClient();
  const socket = await flowingAt5(client);
  const refused = client.subscribe('a/t', since9);
  refused.catch(() => {});
  await settle();
  const [, request] = socket.sentOfType('subscribe');
  socket.receive(at(6), at(7), { type: 'error', id: request.id, code: 'not_allowed', message: 'no' });
  await assert.rejects(refused, { code: 'not_allowed' });
  assert.deepEqual(client.positions(), { 'a/t': { epoch: 'e1', offset: 7 } }, 'what the client received, not 5');
  socket.receive(at(8));
  assert.equal(client.stats.duplicates, 2, '6 and 7 came while the app said it had up to 9');
  assert.deepEqual(client.events.gap, [], 'the client itself dropped 6..7');
  assert.deepEqual(delivered(client), [1, 2, 3, 4, 5, 8]);
});

test('a since and an unsubscribe in flight, both refused: the position from before the since comes back', async () => {
  for (const order of ['since, then unsubscribe', 'unsubscribe, then since']) {
    FakeSocket.reset();
    const client = newClient();
    const socket = await flowingAt5(client);
    const withSince = () => client.subscribe('a/t', since9);
    const calls = order.startsWith('since') ? [withSince(), client.unsubscribe('a/t')] : [client.unsubscribe('a/t'), withSince()];
    calls.forEach((c) => c.catch(() => {}));
    await settle();
    const requests = socket.sent.filter((m) => m.type === 'subscribe' || m.type === 'unsubscribe').slice(1);
    assert.equal(requests.length, 2);
    socket.receive(...requests.map((r) => ({ type: 'error', id: r.id, code: 'rate_limited', message: 'slow down' })));
    await Promise.allSettled(calls);
    assert.deepEqual(client.subscriptions, ['a/t'], `${order}: the gateway keeps it`);
    assert.deepEqual(client.positions(), { 'a/t': { epoch: 'e1', offset: 5 } }, `${order}: neither 9 nor none`);
    socket.receive(at(6), at(7), at(8), at(9), at(10));
    assert.deepEqual(delivered(client), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], order);
  }
});

test('a listener that drops the link in the frame carrying the refusal of a since: the since is still taken back', async () => {
  const client = newClient();
  const socket = await flowingAt5(client);
  const refused = client.subscribe('a/t', since9);
  refused.catch(() => {});
  await settle();
  const [, request] = socket.sentOfType('subscribe');
  client.on('direct', () => client.reconnect());
  socket.receive({ type: 'error', id: request.id, code: 'not_allowed', message: 'no' }, { type: 'direct', event: 'x', data: 1 });
  await assert.rejects(refused, { code: 'not_allowed' });
  assert.deepEqual(client.positions(), { 'a/t': { epoch: 'e1', offset: 5 } });
  await clock.advance(0);
  const next = FakeSocket.last();
  assert.notEqual(next, socket);
  assert.deepEqual(JSON.parse(next.url.searchParams.get('since')), { 'a/t': { epoch: 'e1', offset: 5 } },
    'the resume asks from what was delivered: from 9, 6..9 would be lost');
});

test('connect() from an error listener against a gateway that stops every link waits a growing backoff; a connect() after the window does not', async () => {
  const client = newClient();
  client.on('error', () => client.connect()); // "always stay connected"
  client.connect();
  const delays = [];
  for (let i = 0; i < 4; i++) {
    await settle();
    assert.equal(FakeSocket.instances.length, i + 1, 'one link per wait');
    const socket = FakeSocket.last();
    socket.open();
    socket.drop(1008, 'origin not allowed'); // accepted and closed at once
    assert.equal(client.state, State.BACKOFF);
    delays.push(client.states.at(-1).delay);
    await clock.advance(client.states.at(-1).delay);
  }
  assert.deepEqual(delays, [500, 1000, 2000, 4000], 'random 0.5 of a ceiling that doubles per stop');
  client.close();

  const deliberate = newClient();
  const socket = await connected(deliberate);
  socket.drop(1008, 'origin not allowed');
  assert.equal(deliberate.state, State.CLOSED);
  await clock.advance(1000); // the stop's backoff window (attempt 0): a connect() within it waits, see below
  deliberate.connect(); // the app's own, once the stop was heard
  assert.equal(deliberate.state, State.PROBING, 'at once');
  await settle();
  assert.notEqual(FakeSocket.last(), socket);
});

test('a closed-state listener that calls connect(): every listener hears closed, and the error, before the backoff', async () => {
  const client = newClient();
  const socket = await connected(client);
  client.on('state', (e) => { if (e.state === State.CLOSED) client.connect(); }); // before the next listener
  const heard = [];
  client.on('state', (e) => heard.push(`${e.previous}→${e.state}`));
  client.on('error', (e) => heard.push(`error ${e.code} in ${client.state}`));
  socket.drop(1008, 'bad origin');
  assert.deepEqual(heard, ['connected→closed', 'error policy_violation in closed', 'closed→backoff']);
  assert.equal(client.state, State.BACKOFF);
});

test('a listener that connects and closes again during a stop leaves nothing waiting and no link', async () => {
  const client = newClient();
  const socket = await connected(client);
  let sent = null;
  let subscribed = null;
  client.on('state', (e) => {
    if (e.state !== State.CLOSED || sent) return;
    client.connect();
    sent = client.send('hello', 1);
    subscribed = client.subscribe('a/t');
    client.close();
  });
  socket.drop(4001, 'replaced');
  await assert.rejects(sent, { code: 'closed' });
  await assert.rejects(subscribed, { code: 'closed' });
  assert.equal(client.state, State.CLOSED);
  await clock.advance(60000);
  assert.equal(FakeSocket.instances.length, 1);
  assert.equal(clock.timers.size, 0);
});

test('a gateway gap of another epoch, or of a topic without a position, is reported whole', async () => {
  const client = newClient();
  const socket = await flowingAt5(client);
  socket.receive({ type: 'gap', topic: 'a/t', epoch: 'e2', from: 1, to: 3 }, { type: 'gap', topic: 'b/t', epoch: 'e1', from: 1, to: 3 });
  assert.deepEqual(client.events.gap.map((g) => [g.topic, g.epoch, g.from, g.to]), [['a/t', 'e2', 1, 3], ['b/t', 'e1', 1, 3]]);
  assert.deepEqual(client.positions()['a/t'], { epoch: 'e2', offset: 3 });
});

test('a restore refused for good, then the app\'s own subscribe of the topic granted, in one frame: the client keeps it', async () => {
  const client = newClient();
  const first = await connected(client);
  first.drop(1006);
  const offline = client.subscribe('x/t');
  offline.catch(() => {});
  const second = await welcomedAsNewSession();
  const own = client.subscribe('x/t');
  await settle();
  const [restore, mine] = second.sentOfType('subscribe');
  second.receive({ type: 'error', id: restore.id, code: 'not_allowed', message: 'no' },
    { type: 'subscribed', id: mine.id, topics: ['x/t'] });
  await assert.rejects(offline, { code: 'not_allowed' });
  assert.deepEqual(await own, ['x/t']);
  assert.deepEqual(client.subscriptions, ['x/t'], 'answers applied in the order the gateway gave them');
});

test('a since a stop left standing, refused with the app\'s own subscribe of the topic, is no position to persist', async () => {
  const client = newClient();
  const first = await connected(client);
  client.subscribe('x/t', { since: { 'x/t': { epoch: 'e1', offset: 41 } } }).catch(() => {});
  await settle();
  first.drop(4001, 'replaced');
  client.connect();
  await clock.advance(500); // the backoff wait of a connect() soon after a stop by the gateway
  const second = FakeSocket.last();
  second.welcome({ session: 's-2', restored: null });
  await settle();
  const own = client.subscribe('x/t');
  own.catch(() => {});
  await settle();
  const [restore, mine] = second.sentOfType('subscribe');
  second.receive({ type: 'error', id: restore.id, code: 'not_allowed', message: 'no' },
    { type: 'error', id: mine.id, code: 'not_allowed', message: 'no' });
  await assert.rejects(own, { code: 'not_allowed' });
  assert.deepEqual(client.subscriptions, []);
  assert.deepEqual(client.positions(), {}, 'what positions() gives, the app passes back as since');
});

// ---- verdicts of calls that waited for a link, restore retries over a lost link, connect() soon after a stop -----

test('a refused unsubscribe that waited for the link gives its position back before the lines after the refusal: what they skip is reported', async () => {
  const paths = ['made without a link', 'whose answer the link did not live to carry', 'whose restore the link did not live to carry'];
  for (const path of paths) {
    FakeSocket.reset();
    const client = newClient();
    client.subscribe('a/t');
    const first = await connected(client);
    first.receive(at(50));
    let unsubscribing;
    if (path === 'whose answer the link did not live to carry') {
      unsubscribing = client.unsubscribe('a/t');
      await settle();
      assert.equal(first.sentOfType('unsubscribe').length, 1);
      first.drop(1006);
    } else {
      first.drop(1006);
      unsubscribing = client.unsubscribe('a/t');
    }
    unsubscribing.catch(() => {});
    await clock.advance(500);
    let socket = FakeSocket.last();
    socket.welcome({ session: 's-1', restored: { subscriptions: ['a/t'], ignores: [] } });
    await settle();
    if (path === 'whose restore the link did not live to carry') {
      assert.equal(socket.sentOfType('unsubscribe').length, 1);
      socket.drop(1006);
      await clock.advance(1000); // the second failure in a row
      socket = FakeSocket.last();
      socket.welcome({ session: 's-1', restored: { subscriptions: ['a/t'], ignores: [] } });
      await settle();
    }
    const [request] = socket.sentOfType('unsubscribe');
    // the gateway keeps a/t, restored from what it wrote (the client no longer gave its position): 51..52, which the
    // lost link swallowed, never come
    socket.receive({ type: 'error', id: request.id, code: 'bad_request', message: 'no' }, at(53));
    assert.deepEqual(client.subscriptions, ['a/t'], path);
    assert.deepEqual(client.events.gap.map((g) => [g.from, g.to, g.detectedBy]), [[51, 52, 'client']],
      `${path}: judged from 50, as an unsubscribe refused online is`);
    assert.deepEqual(client.positions(), { 'a/t': { epoch: 'e1', offset: 53 } }, path);
    await assert.rejects(unsubscribing, { code: 'bad_request' });
  }
});

test('a call waiting on a restore refused with rate_limited stays pending when the link drops before the retry, and settles with the next link\'s answer', async () => {
  for (const answer of ['refused', 'granted']) {
    FakeSocket.reset();
    const client = newClient();
    const first = await connected(client);
    first.drop(1006);
    let outcome = 'pending';
    client.subscribe('x/t').then(() => { outcome = 'resolved'; }, (e) => { outcome = `rejected ${e.code}`; });
    const second = await welcomedAsNewSession();
    const [slow] = second.sentOfType('subscribe');
    second.receive({ type: 'error', id: slow.id, code: 'rate_limited', message: 'slow down' });
    second.drop(1006); // before the retry
    await settle();
    assert.equal(outcome, 'pending', `${answer}: the gateway granted nothing yet`);
    await clock.advance(1000);
    const third = FakeSocket.last();
    third.welcome({ session: 's-3', restored: null });
    await settle();
    const [again] = third.sentOfType('subscribe');
    assert.deepEqual(again.topics, ['x/t'], `${answer}: asked again`);
    third.receive(answer === 'granted' ? { type: 'subscribed', id: again.id, topics: ['x/t'] }
      : { type: 'error', id: again.id, code: 'not_allowed', message: 'no' });
    await settle();
    assert.equal(outcome, answer === 'granted' ? 'resolved' : 'rejected not_allowed');
    assert.deepEqual(client.subscriptions, answer === 'granted' ? ['x/t'] : [], answer);
  }
});

test('a since refused with rate_limited on a link that then drops is not taken as reached: a since behind it is asked as given', async () => {
  const client = newClient();
  const first = await connected(client);
  first.drop(1006);
  client.subscribe('x/t', { since: { 'x/t': { epoch: 'e1', offset: 41 } } }).catch(() => {});
  const second = await welcomedAsNewSession();
  const [slow] = second.sentOfType('subscribe');
  assert.deepEqual(slow.since, { 'x/t': { epoch: 'e1', offset: 41 } });
  second.receive({ type: 'error', id: slow.id, code: 'rate_limited', message: 'slow down' });
  second.drop(1006); // before the retry
  await settle();
  client.subscribe('x/t', { since: { 'x/t': { epoch: 'e1', offset: 20 } } }).catch(() => {}); // the app has only 20
  await clock.advance(1000);
  const third = FakeSocket.last();
  third.welcome({ session: 's-3', restored: null });
  await settle();
  assert.deepEqual(third.sentOfType('subscribe').map((r) => r.since), [{ 'x/t': { epoch: 'e1', offset: 20 } }],
    'the gateway never granted 41: asked from it, 21..41 would be lost');
});

test('connect() after an await or a timer in a listener of a stop by the gateway waits a growing backoff, until a link stands for stableAfter', async () => {
  const later = {
    'an await': async (fn) => { await null; fn(); },
    'a microtask': (fn) => queueMicrotask(fn),
    'a timer of 0 ms': (fn) => clock.setTimeout(fn, 0),
  };
  for (const [how, defer] of Object.entries(later)) {
    FakeSocket.reset();
    const client = newClient();
    client.on('error', () => defer(() => client.connect())); // "always stay connected", after some async work
    client.connect();
    const delays = [];
    let socket = null;
    for (let i = 0; i < 4; i++) {
      await settle();
      assert.equal(FakeSocket.instances.length, i + 1, `${how}: one link per wait`);
      socket = FakeSocket.last();
      socket.welcome({ session: `s-${i}` });
      socket.drop(1008, 'origin not allowed'); // accepted and closed at once
      await clock.advance(0);
      assert.equal(client.state, State.BACKOFF, how);
      delays.push(client.states.at(-1).delay);
      await clock.advance(client.states.at(-1).delay);
    }
    assert.deepEqual(delays, [500, 1000, 2000, 4000], `${how}: random 0.5 of a ceiling that doubles per stop`);
    await settle();
    socket = FakeSocket.last();
    socket.welcome({ session: 's-stable' });
    await clock.advance(30000); // stableAfter
    socket.drop(1008, 'origin not allowed');
    await clock.advance(0);
    assert.deepEqual([client.state, client.states.at(-1).delay], [State.BACKOFF, 500],
      `${how}: a link stood for stableAfter, attempt 0`);
    client.close();
  }
});

test('connect() after the app\'s own close() starts at once, also right after a stop by the gateway', async () => {
  const client = newClient();
  let socket = await connected(client);
  client.close();
  client.connect();
  assert.equal(client.state, State.PROBING, 'after a close() of a running client');
  await settle();
  socket = FakeSocket.last();
  socket.welcome({ session: 's-2' });
  await settle();
  socket.drop(1008, 'origin not allowed');
  client.connect();
  assert.equal(client.state, State.BACKOFF, 'within the stop\'s backoff window');
  client.close();
  client.connect();
  assert.equal(client.state, State.PROBING, 'the app closed it: its connect() is its own');
});

test('a since given by a listener that connects and closes again during a stop is no since in flight: a later since behind it asks from it', async () => {
  const client = newClient();
  const socket = await connected(client);
  let call = null;
  client.on('state', (e) => {
    if (e.state !== State.CLOSED || call) return;
    client.connect();
    call = client.subscribe('x/t', { since: { 'x/t': { epoch: 'e1', offset: 41 } } });
    call.catch(() => {});
    client.close();
  });
  socket.drop(4001, 'replaced');
  await assert.rejects(call, { code: 'closed' });
  assert.deepEqual(client.positions(), { 'x/t': { epoch: 'e1', offset: 41 } }, 'the stop left the since standing');
  client.connect();
  await clock.advance(500); // the backoff wait of a connect() soon after a stop by the gateway
  const next = FakeSocket.last();
  next.welcome({ session: 's-2', restored: null });
  await settle();
  const [restore] = next.sentOfType('subscribe');
  assert.deepEqual(restore.since, { 'x/t': { epoch: 'e1', offset: 41 } });
  next.receive({ type: 'subscribed', id: restore.id, topics: ['x/t'] });
  client.subscribe('x/t', { since: { 'x/t': { epoch: 'e1', offset: 30 } } });
  await settle();
  const [, later] = next.sentOfType('subscribe');
  assert.deepEqual(later.since, { 'x/t': { epoch: 'e1', offset: 41 } },
    'the gateway delivers after 41: asked from 30, 31..41 would come twice');
});

test('close() or reconnect() from a state listener on connected: no welcome event for the link it let go', async () => {
  for (const call of ['close', 'reconnect']) {
    FakeSocket.reset();
    const client = newClient();
    const heard = [];
    client.on('state', (e) => {
      heard.push(e.state);
      if (e.state === State.CONNECTED && heard.filter((s) => s === State.CONNECTED).length === 1) client[call]();
    });
    client.on('welcome', () => heard.push(`welcome in ${client.state}`));
    await connected(client);
    const after = call === 'close' ? State.CLOSED : State.BACKOFF;
    assert.deepEqual(heard, [State.PROBING, State.CONNECTING, State.CONNECTED, after], call);
    assert.deepEqual(client.events.welcome, [], call);
  }
});

test('subscribe with since on a topic no subscription covers asks from the app\'s position, not from messages that came after the unsubscribe', async () => {
  const client = newClient();
  const socket = await flowingAt5(client);
  const leaving = client.unsubscribe('a/t');
  await settle();
  const [request] = socket.sentOfType('unsubscribe');
  // on their way before the answer: delivered, yet no subscription of the client's stands behind them
  socket.receive(at(6), at(7), { type: 'unsubscribed', id: request.id, topics: ['a/t'] });
  await leaving;
  assert.deepEqual(delivered(client), [1, 2, 3, 4, 5, 6, 7]);
  const again = client.subscribe('a/t', { since: { 'a/t': { epoch: 'e1', offset: 5 } } }); // the app kept 5
  await settle();
  const [, resubscribe] = socket.sentOfType('subscribe');
  assert.deepEqual(resubscribe.since, { 'a/t': { epoch: 'e1', offset: 5 } }, 'asked from 7, the app would miss 6..7');
  socket.receive({ type: 'subscribed', id: resubscribe.id, topics: ['a/t'] }, at(6), at(7), at(8));
  assert.deepEqual(await again, ['a/t']);
  assert.deepEqual(delivered(client).slice(7), [6, 7, 8], 'what the app asked for comes');
});

/** a/t and b/t (since 41) subscribed without a link; the next link's restore of both is refused `rate_limited`. */
async function twoTopicsRestoredAfterARefusal(client, outcome) {
  const first = await connected(client);
  first.drop(1006);
  client.subscribe('a/t').catch(() => {});
  client.subscribe('b/t', { since: { 'b/t': { epoch: 'e1', offset: 41 } } })
    .then(() => { outcome.b = 'resolved'; }, (e) => { outcome.b = `rejected ${e.code}`; });
  const second = await welcomedAsNewSession();
  const [slow] = second.sentOfType('subscribe');
  assert.deepEqual(slow.topics, ['a/t', 'b/t']);
  return { second, slow };
}

/** The third link's restore of a/t and b/t, refused as a whole and then a/t for good. Returns b/t's request. */
async function aRefusedForGoodOnTheThirdLink() {
  await clock.advance(1000);
  const third = FakeSocket.last();
  third.welcome({ session: 's-3', restored: null });
  await settle();
  const [whole] = third.sentOfType('subscribe');
  assert.deepEqual(whole.topics, ['a/t', 'b/t']);
  third.receive({ type: 'error', id: whole.id, code: 'not_allowed', message: 'a/t not allowed' });
  await settle();
  const [, ra, rb] = third.sentOfType('subscribe');
  assert.deepEqual([ra.topics, rb.topics], [['a/t'], ['b/t']]);
  third.receive({ type: 'error', id: ra.id, code: 'not_allowed', message: 'no' });
  await settle();
  return { third, rb };
}

test('a restore retry of two topics carried over a lost link: one refused for good on the next link grants nothing to the other', async () => {
  const client = newClient();
  const outcome = { b: 'pending' };
  const { second, slow } = await twoTopicsRestoredAfterARefusal(client, outcome);
  second.receive({ type: 'error', id: slow.id, code: 'rate_limited', message: 'slow down' });
  second.drop(1006); // before the retry
  const { third, rb } = await aRefusedForGoodOnTheThirdLink();
  assert.equal(outcome.b, 'pending', 'the gateway has not answered b/t yet');
  client.subscribe('b/t', { since: { 'b/t': { epoch: 'e1', offset: 20 } } }).catch(() => {});
  await settle();
  assert.deepEqual(third.sentOfType('subscribe').at(-1).since, { 'b/t': { epoch: 'e1', offset: 20 } },
    '41 was never granted: asked as given');
  third.receive({ type: 'error', id: rb.id, code: 'not_allowed', message: 'no' });
  await settle();
  assert.equal(outcome.b, 'rejected not_allowed');
});

test('a restore request of two topics in flight over a lost link: one refused for good on the next link grants nothing to the other', async () => {
  const client = newClient();
  const outcome = { b: 'pending' };
  const { second } = await twoTopicsRestoredAfterARefusal(client, outcome);
  second.drop(1006); // before the answer
  const { third, rb } = await aRefusedForGoodOnTheThirdLink();
  assert.equal(outcome.b, 'pending', 'the gateway has not answered b/t yet');
  third.receive({ type: 'error', id: rb.id, code: 'not_allowed', message: 'no' });
  await settle();
  assert.equal(outcome.b, 'rejected not_allowed');
});

test('close() from an error listener of a stop by the gateway is the app\'s own: a later connect() starts at once', async () => {
  const client = newClient();
  client.on('error', () => client.close()); // gives up on errors
  const socket = await connected(client);
  socket.drop(1008, 'origin not allowed');
  client.connect();
  assert.equal(client.state, State.PROBING);
});

test('close() after a stop by the gateway, then connect(): starts at once', async () => {
  const client = newClient();
  const socket = await connected(client);
  socket.drop(1008, 'origin not allowed');
  client.close();
  client.connect();
  assert.equal(client.state, State.PROBING);
});

test('close() then connect() from an error listener of a stop by the gateway starts at once, as after the app\'s own close()', async () => {
  const client = newClient();
  client.on('error', () => { client.close(); client.connect(); }); // starts over on errors
  const socket = await connected(client);
  socket.drop(1008, 'origin not allowed');
  assert.equal(client.state, State.PROBING);
});
