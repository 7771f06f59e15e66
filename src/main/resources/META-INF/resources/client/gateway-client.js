/**
 * gateway-client.js: a dependency-free browser client for the edge WebSocket gateway (client protocol v1).
 *
 *   import { GatewayClient } from '/client/gateway-client.js';
 *   const client = new GatewayClient({ url: 'wss://example.com/ws' });
 *   client.on('message', m => render(m.topic, m.data));
 *   client.subscribe(['prices/*', 'news/markets']);
 *   client.connect();
 *   await client.send('chat.post', { text: 'hi' });   // resolves on the gateway's ack
 *
 * Why it looks the way it does: browser links die on flaky networks, laptops sleep and gateways restart. The client
 * therefore keeps what the application asked for (subscriptions, ignores, unanswered sends) apart from any one
 * WebSocket, and brings every new link back to it: it resumes the gateway's session with the token from `welcome`
 * and the last offset it delivered of each topic (so that what a dying link swallowed is replayed, not skipped),
 * subscribes again with `since` where the gateway did not keep a subscription, and drops the duplicates that a
 * replay can bring. Its connection life is the same state machine as the gateway's upstream side (probe `/ws/health`,
 * connect, back off with full jitter, heartbeat), so the two ends of the system behave alike.
 *
 * Loaded with <script type="module">, it also sets `globalThis.GatewayClient` for non-module scripts on the page.
 */

/** The client's states, reported through `state` events. */
export const State = Object.freeze({
  /** Not started (before connect()), or resting after the gateway closed an idle link (1001) with nothing to do. */
  IDLE: 'idle',
  /** Asking GET /ws/health whether the gateway accepts browsers (and fetching a fresh token when one is needed). */
  PROBING: 'probing',
  /** WebSocket opening, waiting for `welcome`. */
  CONNECTING: 'connecting',
  /** `welcome` received: requests and sends flow. */
  CONNECTED: 'connected',
  /** Waiting a random delay before the next attempt. */
  BACKOFF: 'backoff',
  /** Stopped for good: close() was called, or the gateway said not to come back (1000, 1008, 4001, 4xxx). */
  CLOSED: 'closed',
});

/**
 * Close code the client uses when it gives up on a link itself (heartbeat or connect timeout, reconnect()).
 * 3008 is the registered "Timeout" code; the gateway holds a session closed with a code below 4000 for a resume,
 * whereas 1000 would end it.
 */
export const CLIENT_TIMEOUT_CLOSE = 3008;
/** After the gateway's 1001 (idle), the client comes back within this many ms, at random: at once, yet spread. */
const IDLE_RECONNECT_SPREAD_MS = 250;

const DEFAULTS = Object.freeze({
  /** ws:// or wss:// URL of the gateway's /ws endpoint; relative URLs are resolved against the page. */
  url: null,
  /** Probe URL; by default the ws URL's path + '/health' over http(s). */
  healthUrl: null,
  /** Probe GET /ws/health before each attempt; turn off only for gateways without it. */
  probe: true,
  probeTimeout: 5000,
  /** From `new WebSocket` to `welcome`. */
  connectTimeout: 10000,
  /**
   * How long a ping may go unanswered (any frame answers it) before the link is declared dead; a ping goes out after
   * welcome.heartbeat without writing or without a frame from the gateway, whichever comes first.
   */
  heartbeatTimeout: 10000,
  /** Used until the first welcome says otherwise. */
  heartbeat: 25000,
  backoff: Object.freeze({ initial: 1000, max: 30000, multiplier: 2, stableAfter: 30000 }),
  /** Sends that may wait for a link, in order; beyond it send() rejects at once with upstream_unavailable. */
  sendQueueCapacity: 100,
  /** How long a send may wait for its ack, counted from the call (queued time included). */
  sendTimeout: 15000,
  /** The gateway's gateway.client.max-frame-size: larger requests are refused here rather than closed with 1009. */
  maxFrameSize: 65536,
  /**
   * Longest resume URL the client builds with its positions (`since`) in it, below what servers and proxies accept
   * in a request line (Vert.x: 4096 bytes); beyond it the positions go in a `subscribe` as the socket opens.
   */
  maxUrlLength: 3072,
  /** Auth token sent as ?token= (or `tokenParam`). */
  token: null,
  tokenParam: 'token',
  /** async () => string: called for a fresh token after 4003 (and before the first connect when `token` is unset). */
  getToken: null,
  /** How long getToken() may take; past it the attempt backs off as a failed refresh and tries again. */
  tokenTimeout: 10000,
  /**
   * How many more positions than subscriptions the client keeps: topics a pattern brings have one too (for dedupe),
   * and beyond this the least recently delivered of them go first, so a pattern over ever-new topics does not grow
   * the page. Positions of topics subscribed by name are always kept.
   */
  maxPatternPositions: 10000,
  protocols: ['gateway.v1'],
  /**
   * Requests (and sends, pings) written per second at most, after a burst: below the gateway's defaults
   * (`gateway.client.rate` 200, `gateway.client.burst` 400), so that its rate limit never refuses this client.
   * Set them below the gateway's when it is configured lower.
   */
  requestRate: 180,
  requestBurst: 360,
  /** Injectable for tests: defaults are the browser's. */
  WebSocket: null,
  fetch: null,
  random: Math.random,
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle),
});

/** A failed request or send: `code` is the gateway's snake_case error code, or one of the client's own below. */
export class GatewayError extends Error {
  constructor(code, message, details = {}) {
    super(message || code);
    this.name = 'GatewayError';
    this.code = code;
    Object.assign(this, details);
  }
}

// ---- pure helpers (exported for tests and for apps that validate input) ------------------------------------

const SEGMENT = /^[\p{L}\p{Nd}\-_.:@]+$/u;
const encoder = typeof TextEncoder === 'function' ? new TextEncoder() : null;

/** UTF-8 size, which is what the gateway's limits count; plain ASCII (the usual case) needs no encoding. */
function byteLength(text) {
  // eslint-disable-next-line no-control-regex
  if (!encoder || /^[\x00-\x7f]*$/.test(text)) return text.length;
  return encoder.encode(text).length;
}

/** A topic or pattern as the gateway accepts it: `a/b`, `a/*`, `a/**` (`**` only last), at most 256 bytes. */
export function isValidPattern(text) {
  if (typeof text !== 'string' || text.length === 0 || text.length > 256 || byteLength(text) > 256) return false;
  const segments = text.split('/');
  return segments.every((s, i) => s === '*' || (s === '**' && i === segments.length - 1) || SEGMENT.test(s));
}

/** A topic name without wildcards: the only kind `since` and recovery apply to. */
export function isExactTopic(text) {
  return isValidPattern(text) && !text.split('/').some((s) => s === '*' || s === '**');
}

/** The gateway's matching rules: `*` is one segment, a final `**` one or more. */
export function topicMatches(pattern, topic) {
  const p = pattern.split('/');
  const t = topic.split('/');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '**') return t.length > i;
    if (i >= t.length || (p[i] !== '*' && p[i] !== t[i])) return false;
  }
  return p.length === t.length;
}

/**
 * Full-jitter backoff: a uniform delay in [0, min(max, initial * multiplier^attempt)). Spreading reconnects over
 * the whole window is what keeps thousands of browsers from arriving together after a gateway restart.
 */
export function backoffDelay(attempt, policy, random) {
  return Math.floor(random() * backoffCeiling(attempt, policy));
}

/** The backoff window of an attempt: min(max, initial * multiplier^attempt). */
function backoffCeiling(attempt, { initial, max, multiplier }) {
  return Math.min(max, initial * Math.pow(multiplier, Math.min(attempt, 64)));
}

/**
 * What to do when a link closes with `code`, per the close-code table of the gateway's README:
 * 'stop' (1000, 4001, other 4000-4999), 'report' (stop and emit an error: 1008), 'token' (4003: get a fresh
 * token, then reconnect), 'idle' (1001: reconnect at once if there is something to do, else on the next call),
 * 'too_big' (1009: report, write one request per frame in a halved budget from now on, and resume; stop at 1 KiB),
 * 'reconnect' (1006, 1011, 1012, 1013, 4002 and anything else: backoff with jitter, then resume).
 */
export function closeAction(code) {
  switch (code) {
    case 1000: return 'stop';
    case 1001: return 'idle';
    case 1008: return 'report';
    case 1009: return 'too_big';
    case 4001: return 'stop';
    case 4002: return 'reconnect';
    case 4003: return 'token';
    default: return code >= 4000 && code <= 4999 ? 'stop' : 'reconnect';
  }
}

const stoppedError = (code) => new GatewayError('closed', `the client stopped (close code ${code})`, { closeCode: code });

/** The smallest frame budget a 1009 halves down to: below it the client stops. */
const MIN_FRAME_LIMIT = 1024;
const REPORTED_CLOSE = { 1008: 'policy_violation', 1009: 'message_too_big', 4003: 'token_expired' };


function toTopicList(topics) {
  const list = typeof topics === 'string' ? [topics] : Array.from(topics || []);
  if (list.length === 0) throw new GatewayError('bad_request', 'no topics given');
  const bad = list.find((t) => !isValidPattern(t));
  if (bad !== undefined) throw new GatewayError('invalid_topic', `invalid topic or pattern: ${bad}`);
  return [...new Set(list)];
}

/** Decodes a binary topic message: [0x01][u16 topic len][topic][u8 epoch len][epoch][u64 offset][payload]. */
export function decodeBinaryMessage(buffer) {
  const view = new DataView(buffer);
  if (view.byteLength < 12 || view.getUint8(0) !== 0x01) return null;
  const decoder = new TextDecoder();
  let p = 1;
  const topicLength = view.getUint16(p);
  p += 2;
  if (p + topicLength + 1 + 8 > view.byteLength) return null; // lengths that run past the frame: not ours
  const topic = decoder.decode(new Uint8Array(buffer, p, topicLength));
  p += topicLength;
  const epochLength = view.getUint8(p);
  p += 1;
  if (p + epochLength + 8 > view.byteLength) return null;
  const epoch = decoder.decode(new Uint8Array(buffer, p, epochLength));
  p += epochLength;
  // offsets stay below 2^53 (PROTOCOL.md), so two 32-bit halves make an exact Number without BigInt
  const offset = view.getUint32(p) * 2 ** 32 + view.getUint32(p + 4);
  p += 8;
  return { topic, epoch, offset, data: new Uint8Array(buffer, p), binary: true };
}

// ---- the client ----------------------------------------------------------------------------------------------

export class GatewayClient {
  constructor(options = {}) {
    const o = { ...DEFAULTS, ...options, backoff: { ...DEFAULTS.backoff, ...(options.backoff || {}) } };
    if (!o.url) throw new TypeError('GatewayClient: options.url is required');
    this._o = o;
    this._WebSocket = o.WebSocket || globalThis.WebSocket;
    this._fetch = o.fetch || (globalThis.fetch ? globalThis.fetch.bind(globalThis) : null);
    this._url = resolveSocketUrl(o.url);
    this._healthUrl = o.healthUrl || defaultHealthUrl(this._url);

    this.state = State.IDLE;
    /** The gateway's session id, kept across resumes; null before the first welcome. */
    this.session = null;
    /** Counters an app may show: messages delivered, duplicates dropped, gaps, links opened after the first. */
    this.stats = { messages: 0, duplicates: 0, gaps: 0, reconnects: 0, resumed: 0 };

    this._listeners = new Map();
    this._started = false;
    this._ws = null;
    this._resume = null; // welcome.resume: reconnect with ?resume= to keep the session
    this._token = o.token;
    this._needToken = o.token == null && typeof o.getToken === 'function';
    this._attempt = 0; // consecutive failures: the backoff exponent
    this._welcomed = false;
    /** Positions the current link's resume URL carried ({topic: position}), or null. */
    this._urlSince = null;
    /** The recovery asked before the welcome on the current link: {since: {topic: position}, request}; or null. */
    this._early = null;
    this._everConnected = false;
    this._heartbeat = o.heartbeat;
    this._stateTimer = null; // the one timer of the current state (backoff wait, connect timeout, stability)
    this._pingTimer = null;
    this._deadTimer = null;
    this._pongTimer = null;
    this._epoch = 0; // bumped on every state change: async work started in an older state is dropped

    // What the application asked for, independent of any link; each new link is brought back to it.
    this._subs = new Set();
    this._ignores = new Set();
    /**
     * Per topic, the calls changing `_subs` (`_ignores`) that are in flight on this link, oldest first, each with its
     * target (held or not) and what was beneath it: answers come in request order, so a refusal puts back what was
     * beneath the call, for the next call in flight or for the books.
     */
    this._inFlight = { subs: new Map(), ignores: new Map() };
    this._callNo = 0;
    /** topic → {epoch, offset}: the last message delivered; drives dedupe, order and `since` on resubscribe. */
    this._positions = new Map();
    /**
     * topic → the positions subscribe calls in flight set from the app's `since`, oldest first, each with the one it
     * replaced: a refusal puts that back (the gateway never granted it), also after the call waited for a link.
     */
    this._sinceGiven = new Map();
    /** A position a refusal took back → what it went back to: an unsubscribe that forgot it gives that back. */
    this._takenBack = new WeakMap();
    /** While a stop's `state` and `error` events are heard: a connect() from a listener takes effect after them. */
    this._stopping = false;
    this._closedInStop = false; // close() called by a listener of a stop
    /** The last stop by the gateway no connect() followed yet: {at, attempt, code}; null after the app's close(). */
    this._gatewayStop = null;

    this._nextId = 1;
    // request id → {kind, topics, resolve, reject, and for the app's calls what they did to positions: forgotten,
    // given; for restores heard(topic, error or null): a topic's verdict when a later link's sync answers it},
    // written on the current link
    this._requests = new Map();
    // requests made without a link (and those a lost link left, and the restore retries it cut short): settled by the
    // next sync
    this._waiting = [];
    this._sends = new Map(); // send id → record, in call order: queued (not written) and in flight (written)
    this._outbox = []; // {line, record}: lines waiting for the next frame (record: the send's, if it is one)
    this._flushScheduled = false;
    this._flushTimer = null;
    this._bucket = { tokens: o.requestBurst, at: o.now() };
    /** Several requests per frame, as the gateway batches its own; off after a 1009 (the gateway's limit is lower). */
    this._packLines = true;
    /** What the gateway kept of the session at the last welcome: a refused restore is taken back there too. */
    this._kept = { subscribe: new Set(), ignore: new Set() };
    this._restoreRetries = new Set();
    /** Cancels for what a connect attempt awaits (the token's time limit, the health probe): a stop runs them. */
    this._attemptWork = new Set();
    /** Frame budget: maxFrameSize, halved by a 1009 (the gateway's limit is lower than the option says). */
    this._frameLimit = o.maxFrameSize;
  }

  // ---- public API ----------------------------------------------------------------------------------------

  /**
   * Starts (or restarts after a stop) connecting. Idempotent while running. From a listener of a stop, it takes effect
   * once every listener heard the stop. After a stop by the gateway the attempt count is kept (a link that stands for
   * stableAfter resets it), and within the stop's backoff window, from a listener or after it awaited something, it
   * goes through a backoff wait: an app that connects whenever it is stopped does not hammer a gateway that stops
   * every link (1008, a 4003 without getToken, a 1009 at the floor).
   */
  connect() {
    if (this._stopping) { // from a listener of a stop: once every listener heard it (see _stop)
      this._started = true;
      return this;
    }
    if (this._started && this.state !== State.CLOSED && this.state !== State.IDLE) return this;
    this._started = true;
    const stop = this._gatewayStop;
    this._gatewayStop = null;
    if (!stop) {
      this._attempt = 0;
    } else if (this._o.now() - stop.at < backoffCeiling(stop.attempt, this._o.backoff)) {
      this._attempt = stop.attempt;
      this._enterBackoff('connect', undefined, { code: stop.code });
      return this;
    }
    this._attemptConnect('connect');
    return this;
  }

  /**
   * Closes the link with 1000 (the gateway ends the session) and stops. Pending sends reject with `closed`. The next
   * connect() starts at once, from attempt 0, also after a stop by the gateway.
   */
  close() {
    this._started = false;
    this._gatewayStop = null;
    if (this._stopping) this._closedInStop = true; // the app's own close: no backoff memory from the stop
    if (this.state !== State.CLOSED) this._stop(1000, 'closed by the client', false, false);
  }

  /**
   * Drops the current link and reconnects at once, resuming the session (for a network change, or to show
   * resumption in a demo). The link is closed with 3008, which the gateway treats as resumable.
   */
  reconnect() {
    if (!this._ws && this.state === State.BACKOFF) { // an app's `online` handler: try now, not at the backoff's end
      this._attempt = 0;
      this._attemptConnect('reconnect');
      return this;
    }
    if (!this._ws) return this.connect();
    this._abandonLink('client reconnect');
    this._enterBackoff('reconnect', 0);
    return this;
  }

  /**
   * Subscribes to topics and patterns. Resolves with the topics once the gateway answered `subscribed` (on this
   * link or, when there is none, after the next welcome); rejects with the gateway's error code.
   * `options.since` = {topic: {epoch, offset}} recovers what came after a position the app kept (exact topics).
   */
  subscribe(topics, options = {}) {
    return this._change('subscribe', topics, (list) => {
      const since = {};
      const given = new Map(); // topic → the position this call set, taken back if the gateway refuses it
      for (const [topic, position] of Object.entries(options.since || {})) {
        if (list.includes(topic) && isExactTopic(topic) && position && typeof position.epoch === 'string') {
          const asked = { epoch: position.epoch, offset: Number(position.offset) };
          // only a topic a subscription already delivers has a position this client reached: one no subscription
          // covers may hold a `since` the gateway never granted, or a late message
          const reached = this._covered(topic) ? this._reached(topic) : undefined;
          if (reached && reached.epoch === asked.epoch && reached.offset >= asked.offset) {
            // already delivered past it (a flowing topic): what came in between would only come again, so the
            // rest is asked from there, and neither the dedupe nor the gap check steps back
            since[topic] = { epoch: reached.epoch, offset: reached.offset };
          } else {
            // delivery continues after the app's position: older replays count as duplicates
            since[topic] = asked;
            given.set(topic, this._giveSince(topic, asked));
          }
        }
      }
      const added = list.filter((t) => !this._subs.has(t));
      list.forEach((t) => this._subs.add(t));
      return { added, since, given };
    });
  }

  unsubscribe(topics) {
    return this._change('unsubscribe', topics, (list) => {
      const removed = list.filter((t) => this._subs.has(t));
      list.forEach((t) => this._subs.delete(t));
      return { added: [], removed, forgotten: this._forgetUncoveredPositions() };
    });
  }

  /** Stops delivery of matching messages to this session; subscriptions stay. */
  ignore(topics) {
    return this._change('ignore', topics, (list) => {
      const added = list.filter((t) => !this._ignores.has(t));
      list.forEach((t) => this._ignores.add(t));
      return { added };
    });
  }

  /** Cancels an ignore: live delivery resumes (nothing ignored is replayed). */
  unignore(topics) {
    return this._change('unignore', topics, (list) => {
      const removed = list.filter((t) => this._ignores.has(t));
      list.forEach((t) => this._ignores.delete(t));
      // what was ignored is not replayed: the next offset of these topics may jump, and that is no loss to report
      for (const [topic, position] of this._positions) {
        if (list.some((pattern) => topicMatches(pattern, topic))) position.jump = true;
      }
      return { added: [], removed };
    });
  }

  /**
   * Sends an event to the cluster. Resolves on `ack`; rejects on `error` with the gateway's code (a node's own
   * code for a nack). Without a link the send waits, in order, in a bounded queue; past `sendQueueCapacity` or
   * `sendTimeout` it rejects with `upstream_unavailable` (if it had been written, its outcome is unknown).
   */
  send(event, data, options = {}) {
    if (typeof event !== 'string' || event.length === 0) {
      return Promise.reject(new GatewayError('bad_request', 'event must be a non-empty string'));
    }
    if (this._closed()) return Promise.reject(new GatewayError('closed', 'the client is closed'));
    const id = `c-${this._nextId++}`;
    const line = JSON.stringify({ type: 'send', id, event, data: data === undefined ? null : data });
    if (this._tooBig(line)) {
      return Promise.reject(new GatewayError('message_too_big', `send of ${event} exceeds ${this._frameLimit} bytes`));
    }
    const queued = [...this._sends.values()].filter((s) => !s.written).length;
    if (this.state !== State.CONNECTED && queued >= this._o.sendQueueCapacity) {
      return Promise.reject(new GatewayError('upstream_unavailable', 'send queue full while disconnected', { id }));
    }
    return new Promise((resolve, reject) => {
      const record = { id, line, resolve, reject, written: false, resent: false, timer: null };
      record.timer = this._o.setTimeout(() => {
        // one still waiting for its turn is taken out: it must not leave after the app was told it failed
        this._settleSend(record);
        reject(new GatewayError('upstream_unavailable', record.written
          ? 'no answer in time: the outcome is unknown' : 'no connection to the gateway in time', { id }));
      }, options.timeout ?? this._o.sendTimeout);
      this._sends.set(id, record);
      // CONNECTED without a socket: a listener called during the close of the link (the 'error' for a 1009),
      // before the state moves on; the send waits for the next link
      if (this.state === State.CONNECTED && this._ws) this._writeSend(record);
      else this._wakeUp();
    });
  }

  /** Adds a listener for 'message' | 'gap' | 'direct' | 'state' | 'error' | 'welcome'; returns a remover. */
  on(type, listener) {
    if (!this._listeners.has(type)) this._listeners.set(type, new Set());
    this._listeners.get(type).add(listener);
    return () => this.off(type, listener);
  }

  off(type, listener) {
    this._listeners.get(type)?.delete(listener);
  }

  /** The last (epoch, offset) seen per topic, to persist and pass back as subscribe(..., {since}). */
  positions() {
    return Object.fromEntries([...this._positions].map(([t, p]) => [t, { epoch: p.epoch, offset: p.offset }]));
  }

  /** The subscriptions and ignores the client maintains across links. */
  get subscriptions() { return [...this._subs]; }

  get ignores() { return [...this._ignores]; }

  /** The ping interval in use (ms): welcome.heartbeat once connected. */
  get heartbeat() { return this._heartbeat; }

  // ---- state machine: every transition goes through _enter --------------------------------------------------

  /** Returns the `state` event; `emit` false leaves emitting it to the caller (after the welcome's restore). */
  _enter(state, detail = {}, emit = true) {
    const previous = this.state;
    this._clearStateTimer();
    this._epoch++;
    this.state = state;
    const event = { state, previous, ...detail };
    if (emit) this._emit('state', event);
    return event;
  }

  /**
   * _enter with its event emitted; false when a listener moved the client on meanwhile (close(), reconnect()), so
   * the caller must not go on with the state it entered: no socket, no timer for a client the app just stopped.
   */
  _moveTo(state, detail) {
    const epoch = this._epoch + 1;
    this._enter(state, detail);
    return this._epoch === epoch && this._started;
  }

  _clearStateTimer() {
    if (this._stateTimer !== null) this._o.clearTimeout(this._stateTimer);
    this._stateTimer = null;
  }

  /** probing → (fresh token) → health probe → connecting; any failure → backoff. */
  async _attemptConnect(reason) {
    if (!this._started || !this._moveTo(State.PROBING, { reason, attempt: this._attempt })) return;
    const epoch = this._epoch;
    if (this._needToken) {
      try {
        // a token endpoint that never answers must not hold the client in PROBING for ever
        this._token = await withTimeout(this._o.getToken(), this._o.tokenTimeout, this._o,
          'getToken() did not settle within tokenTimeout', this._attemptWork);
        this._needToken = false;
      } catch (e) {
        if (epoch !== this._epoch) return;
        this._emit('error', { code: 'token_refresh_failed', message: String(e && e.message || e) });
        return this._enterBackoff('token_refresh_failed');
      }
      if (epoch !== this._epoch) return;
    }
    const probe = await this._probe();
    if (epoch !== this._epoch) return; // close() or another transition happened meanwhile
    if (!probe.ok) return this._enterBackoff('probe_failed', undefined, { status: probe.status });
    this._open();
  }

  async _probe() {
    if (!this._o.probe || !this._fetch) return { ok: true };
    const abort = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = this._o.setTimeout(() => abort && abort.abort(), this._o.probeTimeout);
    const cancel = () => { this._o.clearTimeout(timer); if (abort) abort.abort(); };
    this._attemptWork.add(cancel);
    try {
      const response = await this._fetch(this._healthUrl, { cache: 'no-store', signal: abort && abort.signal });
      return { ok: response.status === 200, status: response.status };
    } catch (e) {
      return { ok: false, status: 0 };
    } finally {
      this._o.clearTimeout(timer);
      this._attemptWork.delete(cancel);
    }
  }

  _open() {
    if (!this._moveTo(State.CONNECTING, { attempt: this._attempt })) return;
    this._welcomed = false;
    let ws;
    const target = this._socketTarget();
    try {
      ws = new this._WebSocket(target.url, this._o.protocols);
    } catch (e) {
      return this._enterBackoff('connect_failed');
    }
    ws.binaryType = 'arraybuffer';
    this._ws = ws;
    this._urlSince = target.since;
    // Handlers check they belong to the current link: an abandoned socket may still fire late events.
    ws.onopen = () => { if (ws === this._ws) this._onOpen(); };
    ws.onmessage = (ev) => { if (ws === this._ws) this._onFrame(ev.data); };
    ws.onclose = (ev) => { if (ws === this._ws) this._onClose(ev.code || 1006, ev.reason || ''); };
    ws.onerror = () => {}; // a close event always follows, with the code that matters
    this._stateTimer = this._o.setTimeout(() => this._linkDead('connect_timeout'), this._o.connectTimeout);
  }

  /**
   * Positions that did not fit in the resume URL are asked at once, before the welcome: the gateway holds the
   * request until the session is restored, and this position (what really arrived) then replaces the one it
   * restored from (what it wrote, some of which a dying link may have swallowed). Should the session not be
   * resumed, the same request recovers the topics on the new one.
   */
  _onOpen() {
    if (!this._resume || this._urlSince) return;
    const since = this._recoverySince([...this._subs]);
    const topics = Object.keys(since);
    if (topics.length === 0) return;
    // one that would not fit the frame limit is left to the sync after the welcome, which reports it
    if (this._tooBig(JSON.stringify({ type: 'subscribe', id: `r-${this._nextId}`, topics, since }))) return;
    // answered after the welcome (the gateway holds it until the session is restored), so _kept is known by then
    this._early = { since, outcomes: this._restore('subscribe', topics, since) };
  }

  /**
   * {topic: {epoch, offset}} of the given topics that recovery applies to: exact topics with a delivered position,
   * not held back by an ignore (their position is stale, and what was ignored is not replayed).
   */
  _recoverySince(topics) {
    const since = {};
    for (const topic of topics) {
      const position = this._positions.get(topic);
      if (!position || !isExactTopic(topic)) continue;
      if ([...this._ignores].some((pattern) => topicMatches(pattern, topic))) continue;
      since[topic] = { epoch: position.epoch, offset: position.offset };
    }
    return since;
  }

  /**
   * The gateway URL with the auth token and, on a resume, the resume token and the last position delivered of each
   * exact topic (`since`, as in a subscribe). The gateway restores the session's subscriptions from these positions
   * rather than from what it wrote, before it delivers anything: what a dying link swallowed comes again, once and
   * in order. Positions that would make the URL too long are asked for by _onOpen instead. Returns {url, since}.
   */
  _socketTarget() {
    const url = new URL(this._url);
    if (this._resume) url.searchParams.set('resume', this._resume);
    if (this._token) url.searchParams.set(this._o.tokenParam, this._token);
    if (this._resume) {
      const since = this._recoverySince([...this._subs]);
      if (Object.keys(since).length > 0) {
        const withSince = new URL(url);
        withSince.searchParams.set('since', JSON.stringify(since));
        if (withSince.toString().length <= this._o.maxUrlLength) return { url: withSince.toString(), since };
      }
    }
    return { url: url.toString(), since: null };
  }

  /** The wait before the next attempt: full jitter over a ceiling that doubles per consecutive failure. */
  _enterBackoff(reason, delay, detail = {}) {
    if (!this._started) return;
    const wait = delay ?? backoffDelay(this._attempt, this._o.backoff, this._o.random);
    this._attempt++;
    if (!this._moveTo(State.BACKOFF, { reason, delay: wait, attempt: this._attempt, ...detail })) return;
    this._stateTimer = this._o.setTimeout(() => this._attemptConnect(reason), wait);
  }

  /** Without a link and nothing pending, a 1001-closed client rests in idle until the app needs it again. */
  _wakeUp() {
    if (this._started && this.state === State.IDLE) this._attemptConnect('wake_up');
  }

  _onClose(code, reason) {
    const wasConnected = this._welcomed;
    const action = closeAction(code);
    const stopping = action === 'stop' || action === 'report'
      || (action === 'too_big' && this._frameLimit <= MIN_FRAME_LIMIT)
      || (action === 'token' && typeof this._o.getToken !== 'function');
    // before the link is let go, which would end the restore retries as if granted: a stop refuses their calls
    if (stopping) this._cancelRestoreRetries(stoppedError(code));
    this._detachLink();
    if (stopping) return this._stop(code, reason, action !== 'stop');
    if (action === 'too_big') {
      // the gateway's limit is below the budget (maxFrameSize): from now on one request per frame, in a budget
      // halved per 1009 down to 1 KiB, and the session resumes, resending sends ("fix, then reconnect"); a 1009 at
      // the floor stops, so a gateway that refuses everything is not reconnected to for ever
      this._packLines = false;
      this._frameLimit = Math.max(MIN_FRAME_LIMIT, Math.floor(this._frameLimit / 2));
      this._emit('error', { code: 'message_too_big', closeCode: code, message: reason });
    }
    if (action === 'token') this._needToken = true;
    if (action === 'idle' && this._subs.size === 0 && this._ignores.size === 0 && this._sends.size === 0
        && this._waiting.length === 0) {
      this._enter(State.IDLE, { reason: 'going_away', code });
      return;
    }
    if (action === 'idle' && wasConnected && this._attempt === 0) { // quiet, with something to do: come back now
      // (spread over a moment: a proxy going away closes every link with 1001 at once; one that lets the welcome
      // through and closes at once never lets the link stand for stableAfter, and meets the backoff)
      this._enterBackoff('link_closed', Math.floor(this._o.random() * IDLE_RECONNECT_SPREAD_MS),
        { code, closeReason: reason });
    } else if (!wasConnected && code === 1006) {
      this._enterBackoff('connect_failed', undefined, { code, closeReason: reason });
    } else {
      this._enterBackoff('link_closed', undefined, { code, closeReason: reason });
    }
  }

  /** A link that went silent (or never welcomed us): give up on it without waiting for a close handshake. */
  _linkDead(reason) {
    this._abandonLink(reason);
    this._enterBackoff(reason, undefined, { code: 1006 });
  }

  _abandonLink(reason) {
    const ws = this._ws;
    this._detachLink();
    if (ws) {
      try { ws.close(CLIENT_TIMEOUT_CLOSE, reason); } catch (e) { /* already closing */ }
    }
  }

  /** Forgets the current socket: timers stop, unanswered requests wait for the next link's sync. */
  _detachLink() {
    this._ws = null;
    this._inFlight.subs.clear(); // their answers, if any, come on no link: the next link's sync keeps the books
    this._inFlight.ignores.clear();
    this._cancelRestoreRetries(null);
    this._welcomed = false;
    this._urlSince = null;
    this._early = null;
    this._clearStateTimer();
    this._clearHeartbeat();
    this._outbox = [];
    if (this._flushTimer !== null) {
      this._o.clearTimeout(this._flushTimer);
      this._flushTimer = null;
      this._flushScheduled = false;
    }
    this._waiting.push(...this._requests.values());
    this._requests.clear();
  }

  /** `byGateway`: the gateway closed the link (a close code that says not to come back), not the app's close(). */
  _stop(code, reason, report, byGateway = true) {
    this._gatewayStop = null;
    this._cancelRestoreRetries(stoppedError(code));
    this._attemptWork.forEach((cancel) => cancel()); // no timer or request outlives the stop
    this._attemptWork.clear();
    const ws = this._ws;
    this._detachLink();
    if (ws) {
      try { ws.close(code === 1000 ? 1000 : CLIENT_TIMEOUT_CLOSE, reason); } catch (e) { /* closing */ }
    }
    this._started = false;
    this._resume = null;
    this._rejectPending(code);
    // the app hears of the stop only once it is complete, and every listener hears it before what a connect() from
    // one of them starts (what they send or subscribe after it waits for that link): nothing of the stop comes
    // after to undo it, and no listener hears `closed` after the state that followed it
    this._stopping = true;
    this._closedInStop = false;
    try {
      this._enter(State.CLOSED, { code, reason: reason || undefined });
      if (report) {
        this._emit('error', { code: REPORTED_CLOSE[code] || 'closed', closeCode: code, message: reason });
      }
    } finally {
      this._stopping = false;
    }
    if (!this._started) {
      // no listener connected, or one closed again: what they asked meanwhile has no link to wait for
      this._rejectPending(code);
      // a connect() the app makes later (after an await, a timer) meets the stop's backoff (see connect())
      if (byGateway && !this._closedInStop) this._gatewayStop = { at: this._o.now(), attempt: this._attempt, code };
    } else if (byGateway && !this._closedInStop) {
      // after a jittered wait, as after a failed attempt, the count kept (see connect())
      this._enterBackoff('connect', undefined, { code });
    } else { // the app's own close() (also one from a listener of this stop, then connect()): at once
      this._attempt = 0;
      this._attemptConnect('connect');
    }
  }

  /** Sends and waiting calls rejected with `closed` (a stop with `code`). */
  _rejectPending(code) {
    // positions given by calls the stop leaves unanswered stand, for the next connect(), as given: no answer comes
    this._sinceGiven.clear();
    for (const record of this._sends.values()) {
      this._o.clearTimeout(record.timer);
      record.reject(stoppedError(code));
    }
    this._sends.clear();
    this._waiting.splice(0).forEach((w) => w.reject(stoppedError(code)));
  }

  /** Stopped, and no connect() from a listener of the stop is about to start it again. */
  _closed() {
    return this.state === State.CLOSED && !this._started;
  }

  // ---- heartbeat -----------------------------------------------------------------------------------------

  /** Every write re-arms it: a ping goes out only when the client has been quiet for a heartbeat. */
  _armPing() {
    if (this._pingTimer !== null) this._o.clearTimeout(this._pingTimer);
    this._pingTimer = this._o.setTimeout(() => {
      this._pingTimer = null;
      this._ping();
    }, this._heartbeat);
  }

  /** A ping unanswered for heartbeatTimeout (any frame answers it) means the link is dead (half-open TCP). */
  _ping() {
    this._write(PING);
    if (this._pongTimer !== null) return; // the first unanswered ping sets the deadline
    this._pongTimer = this._o.setTimeout(() => {
      this._pongTimer = null;
      this._linkDead('heartbeat_timeout');
    }, this._o.heartbeatTimeout);
  }

  /**
   * Every frame re-arms it and answers the ping. Silence for a heartbeat sends a ping when none is unanswered (a
   * client that keeps writing sends none of its own), so a dead link ends heartbeat + heartbeatTimeout after the last
   * frame, and only an unanswered ping ends it. A background tab runs its timers late (Chrome: at most once a
   * minute), the ping's together with this one; when silence alone ended the link, a quiet one was dropped each time.
   */
  _armDeadline() {
    if (this._deadTimer !== null) this._o.clearTimeout(this._deadTimer);
    if (this._pongTimer !== null) this._o.clearTimeout(this._pongTimer);
    this._pongTimer = null;
    this._deadTimer = this._o.setTimeout(() => {
      this._deadTimer = null;
      if (this._pongTimer === null) this._ping();
    }, this._heartbeat);
  }

  _clearHeartbeat() {
    for (const timer of [this._pingTimer, this._deadTimer, this._pongTimer]) {
      if (timer !== null) this._o.clearTimeout(timer);
    }
    this._pingTimer = null;
    this._deadTimer = null;
    this._pongTimer = null;
  }

  // ---- inbound -------------------------------------------------------------------------------------------

  _onFrame(data) {
    if (this._welcomed) this._armDeadline();
    if (typeof data !== 'string') {
      const message = decodeBinaryMessage(data);
      if (message) this._deliver(message);
      else this._emit('error', { code: 'bad_frame', message: 'a binary frame that is not a topic message' });
      return;
    }
    // one frame may carry several messages, one per line (PROTOCOL.md section 0)
    for (const line of data.split('\n')) {
      if (line.length === 0) continue;
      let m;
      try {
        m = JSON.parse(line);
      } catch (e) {
        this._emit('error', { code: 'bad_frame', message: 'unparseable line from the gateway' });
        continue;
      }
      if (m === null || typeof m !== 'object') {
        this._emit('error', { code: 'bad_frame', message: 'a line from the gateway that is not an object' });
        continue;
      }
      this._handle(m);
      if (this._ws === null) return; // the link was dropped while handling (a listener called close())
    }
  }

  _handle(m) {
    switch (m.type) {
      case 'welcome': return this._onWelcome(m);
      case 'message': return this._deliver(m);
      case 'gap': return this._onGap(m);
      case 'direct': return this._emit('direct', { event: m.event, data: m.data });
      case 'ack': return this._onAck(m.id);
      case 'error': return this._onError(m);
      case 'subscribed':
      case 'unsubscribed':
      case 'ignored':
      case 'unignored': return this._onReply(m);
      default: return undefined; // pong, and types a newer gateway may add
    }
  }

  /** At most once and in offset order per topic: anything at or below the last offset of the same epoch is dropped. */
  _deliver(m) {
    const last = this._positions.get(m.topic);
    if (last && last.epoch === m.epoch && m.offset <= last.offset) {
      this.stats.duplicates++;
      this._reachedBeneath(m.topic, m.epoch, m.offset); // dropped as the app's by a `since` not yet granted
      return;
    }
    if (last && last.epoch === m.epoch && m.offset > last.offset + 1 && !last.jump && this._expectsEvery(m.topic)) {
      // Offsets skipped without a gap. It should not happen: after a resume the client gives its own positions, not
      // the gateway's (see _socketTarget). Kept as a safety net: older messages can no longer be delivered in order,
      // so the app is told rather than left with a silent hole.
      this.stats.gaps++;
      this._emit('gap', { topic: m.topic, epoch: m.epoch, from: last.offset + 1, to: m.offset - 1, reset: false,
        detectedBy: 'client' });
    }
    if (!this._subs.has(m.topic)) this._positions.delete(m.topic); // re-inserted last: least recent go first
    this._positions.set(m.topic, { epoch: m.epoch, offset: m.offset });
    if (this._positions.size > this._subs.size + this._o.maxPatternPositions) this._evictPatternPosition();
    this.stats.messages++;
    this._emit('message', { topic: m.topic, epoch: m.epoch, offset: m.offset, data: m.data, binary: !!m.binary });
  }

  /**
   * Whether every offset of a topic should reach this session: it is subscribed by name (patterns resume live, so
   * they may skip) and not held back by one of its ignores.
   */
  _expectsEvery(topic) {
    if (!this._subs.has(topic)) return false;
    for (const pattern of this._ignores) if (topicMatches(pattern, topic)) return false;
    return true;
  }

  _onGap(gap) {
    const m = this._notDelivered(gap);
    if (!m) return;
    this.stats.gaps++;
    if (m.reset) {
      // history restarted: the old position means nothing; the next message of the new epoch sets one
      this._positions.delete(m.topic);
    } else if (typeof m.to === 'number') {
      const last = this._positions.get(m.topic);
      if (!last || last.epoch !== m.epoch || last.offset < m.to) {
        this._positions.set(m.topic, { epoch: m.epoch, offset: m.to }); // never ask for a lost range again
      } else {
        this._reachedBeneath(m.topic, m.epoch, m.to); // nor report it again should that `since` be refused
      }
    }
    this._emit('gap', { topic: m.topic, epoch: m.epoch, from: m.from, to: m.to, reset: !!m.reset, detectedBy: 'gateway' });
  }

  /**
   * The part of a gap the client did not deliver, or null when it delivered all of it: a `since` asked while live
   * messages were on their way (a topic already flowing) is answered from that offset, and what arrived meanwhile
   * is not lost. Below the position the client reached in its epoch everything was delivered or already reported;
   * a `since` not yet granted is no such position (refused, what it covers was neither delivered nor reported).
   */
  _notDelivered(gap) {
    const last = this._reached(gap.topic);
    if (gap.reset || !last || last.epoch !== gap.epoch || typeof gap.from !== 'number' || gap.from > last.offset) {
      return gap;
    }
    if (typeof gap.to === 'number' && gap.to <= last.offset) return null;
    return { ...gap, from: last.offset + 1 };
  }

  _onWelcome(w) {
    const resumed = this.session !== null && w.session === this.session;
    const newSession = w.restored == null;
    this.session = w.session;
    this._resume = w.resume || null;
    this._heartbeat = w.heartbeat > 0 ? w.heartbeat : this._heartbeat;
    this._welcomed = true;
    if (this._everConnected) this.stats.reconnects++;
    if (resumed) this.stats.resumed++;
    this._everConnected = true;
    const entered = this._enter(State.CONNECTED, { session: w.session, resumed }, false);
    this._armDeadline();
    this._armPing();
    // a link that stays up a while proves the path healthy: later failures start from a short delay again
    this._stateTimer = this._o.setTimeout(() => { this._attempt = 0; }, this._o.backoff.stableAfter);
    // the session is brought back before the app hears of the link: what its listeners write comes after the
    // restore and after the sends that were waiting, in call order
    const ws = this._ws;
    this._sync(w.restored ?? null);
    this._resendAndFlushSends(newSession);
    // not for a link a listener let go meanwhile (close(), reconnect()): its listeners heard what came after it
    if (this._ws !== ws) return;
    this._emit('state', entered);
    if (this._ws !== ws) return;
    this._emit('welcome', { session: w.session, resumed, restored: w.restored ?? null });
  }

  /**
   * Brings the session to what the app wants, from what the welcome says the gateway kept (`restored`, null for a
   * new session). Exact topics are subscribed again with `since` from the last delivered offsets, which recovers
   * what came meanwhile or yields a `gap`: those the gateway did not keep, and after a resume also those it kept
   * unless it was given the position already (in the resume URL, or in the subscribe sent as the socket opened):
   * it would have restored them from the last offset it wrote, not the last one that arrived.
   */
  _sync(restored) {
    const hadSubs = new Set(restored?.subscriptions || []);
    const hadIgnores = new Set(restored?.ignores || []);
    this._kept = { subscribe: hadSubs, ignore: hadIgnores };
    const early = this._early;
    const urlSince = this._urlSince || {};
    this._early = null;
    this._urlSince = null;
    const asked = early ? early.since : {};
    // given from the position that is still the last delivered one (the app may have moved it meanwhile)
    const current = (given, t) => {
      const now = this._positions.get(t);
      return !!given && !!now && given.epoch === now.epoch && given.offset === now.offset;
    };
    const askedFor = (t) => current(asked[t], t);
    // the gateway applies the URL's positions to the subscriptions it restores, and ignores them otherwise
    const restoredFrom = (t) => hadSubs.has(t) && current(urlSince[t], t);
    const recover = restored ? this._recoverySince([...this._subs].filter((t) => hadSubs.has(t))) : {};
    // ignores first: a topic the app ignores is never delivered between its subscribe and its ignore
    const plan = {
      ignore: [...this._ignores].filter((t) => !hadIgnores.has(t)),
      unignore: [...hadIgnores].filter((t) => !this._ignores.has(t)),
      unsubscribe: [...new Set([...hadSubs, ...Object.keys(asked)])].filter((t) => !this._subs.has(t)),
      subscribe: [...this._subs].filter((t) => !askedFor(t) && !restoredFrom(t) && (!hadSubs.has(t) || t in recover)),
    };
    const outcomes = {};
    for (const [kind, topics] of Object.entries(plan)) {
      if (topics.length === 0) continue;
      // positions of ignored topics are stale (what was ignored is not replayed): those resume live
      const since = kind === 'subscribe' ? this._recoverySince(topics) : undefined;
      outcomes[kind] = this._restore(kind, topics, since);
    }
    // requests made while there was no link settle with the outcome of their own topics; what they did to positions
    // (and a restore carried here, its own outcome) follows each verdict as it is read, in the gateway's order: the
    // lines after it in the frame come from a gateway that applied it
    for (const waiter of this._waiting.splice(0)) {
      const answers = [];
      for (const topic of waiter.topics) {
        const outcome = outcomes[waiter.kind]?.get(topic)
          ?? (waiter.kind === 'subscribe' && askedFor(topic) ? early.outcomes.get(topic) : undefined);
        const heard = (e) => {
          waiter.heard?.(topic, e);
          this._positionsAnswered(waiter, topic, !!e && e.code !== 'closed'); // `closed` (a stop) is no verdict
        };
        if (outcome) {
          outcome.follow(heard);
          answers.push(outcome.promise);
        } else {
          heard(null); // nothing asked: the gateway kept it
        }
      }
      if (answers.length === 0) {
        waiter.resolve(waiter.topics);
      } else {
        Promise.all(answers).then(() => waiter.resolve(waiter.topics), waiter.reject);
      }
    }
  }

  /**
   * Asks the gateway for `kind` on `topics` in requests that fit the frame limit, and sees each topic through:
   * a request refused as a whole (several topics, one bad) is asked again topic by topic, so that one refused topic
   * does not take the others with it; one refused for a while (rate_limited, upstream_unavailable) is asked again
   * after a growing delay while the link lasts (the next link's sync asks otherwise); a topic refused for good is
   * dropped, taken back on the gateway when the session kept it there, and reported once. Returns topic → Outcome:
   * kept (granted) or refused, heard as the answer is read.
   */
  _restore(kind, topics, since) {
    const outcomes = new Map(topics.map((topic) => [topic, new Outcome()]));
    const settle = (t, e) => outcomes.get(t).settle(e);
    // answered on a later link (the request, or its retry, carried to that link's sync, which asked again): kept,
    // unless refused for good there (no longer wanted) or ended by a stop
    const carried = (t, e) => settle(t, e);
    const ask = (chunk, attempt) => {
      // what the app changed its mind about meanwhile is settled by the app's own request
      const still = chunk.filter((t) => this._wants(kind, t));
      chunk.filter((t) => !still.includes(t)).forEach((t) => settle(t, null));
      if (still.length === 0) return;
      const chunkSince = since ? pick(since, still) : undefined;
      let here = false;
      // the answer on this link, applied as it is read: in the gateway's order with the app's own calls
      const answered = (e) => {
        here = true;
        if (!e) {
          still.forEach((t) => settle(t, null));
          return;
        }
        if (TRANSIENT_REFUSALS.has(e.code)) {
          const ceiling = Math.min(this._o.backoff.max, this._o.backoff.initial * 2 ** Math.min(attempt, 16));
          const retry = {
            timer: null,
            // close() ends them; a lost link hands them to the next sync, which asks again and whose answer settles
            // them, as it does a request in flight: never granted without an answer
            cancel: (failure) => (failure ? still.forEach((t) => settle(t, failure)) : this._waiting.push({
              kind, topics: still, heard: carried,
              resolve: () => still.forEach((t) => carried(t, null)),
              // per topic through `heard`; a rejection of the whole (Promise.all's first refusal) is no verdict on the rest
              reject: (e2) => { if (e2.code === 'closed') still.forEach((t) => carried(t, e2)); },
            })),
          };
          retry.timer = this._o.setTimeout(() => {
            this._restoreRetries.delete(retry);
            ask(still, attempt + 1);
          }, ceiling / 2 + Math.floor(this._o.random() * ceiling / 2));
          this._restoreRetries.add(retry);
          return;
        }
        if (still.length > 1) {
          still.forEach((t) => ask([t], 0));
          return;
        }
        this._refusedForGood(kind, still[0], e);
        settle(still[0], e);
      };
      // not answered here: answered through a later link's sync (which kept the books, and hears each topic's verdict
      // as it is read), or ended by a stop
      this._request(kind, still, chunkSince, { answered, heard: carried }).then(
        () => { if (!here) still.forEach((t) => carried(t, null)); },
        (e) => { if (!here && e.code === 'closed') still.forEach((t) => carried(t, e)); });
    };
    for (const chunk of this._chunks(kind, topics, since)) ask(chunk, 0);
    return outcomes;
  }

  /** Whether the app still wants what a `kind` request asks for `topic`. */
  _wants(kind, topic) {
    switch (kind) {
      case 'subscribe': return this._subs.has(topic);
      case 'unsubscribe': return !this._subs.has(topic);
      case 'ignore': return this._ignores.has(topic);
      default: return !this._ignores.has(topic);
    }
  }

  /** Restore retries waiting for their delay: a lost link hands their topics to the next sync; a stop ends them. */
  _cancelRestoreRetries(failure) {
    for (const retry of this._restoreRetries) {
      this._o.clearTimeout(retry.timer);
      retry.cancel(failure);
    }
    this._restoreRetries.clear();
  }

  /** Splits topics into requests whose line fits maxFrameSize (a topic is at most 256 bytes, so each fits). */
  _chunks(kind, topics, since) {
    // the line's size, counted as it grows (an id of 12 characters is more than any this client makes)
    const base = byteLength(JSON.stringify({ type: kind, id: 'r-0000000000', topics: [], since: {} }));
    const chunks = [];
    let chunk = [];
    let size = base;
    for (const topic of topics) {
      const name = byteLength(JSON.stringify(topic));
      const cost = name + 1 + (since && since[topic] ? name + 2 + byteLength(JSON.stringify(since[topic])) : 0);
      if (chunk.length > 0 && size + cost > this._frameLimit) {
        chunks.push(chunk);
        chunk = [];
        size = base;
      }
      chunk.push(topic);
      size += cost;
    }
    if (chunk.length > 0) chunks.push(chunk);
    return chunks;
  }

  /**
   * A subscription or ignore the gateway refuses now would be refused on every link: it is dropped (taken back on
   * the gateway when the session kept it, so that the two agree) and the app hears it once. An unsubscribe (or
   * unignore) refused leaves the gateway holding what it kept, and the client too, as when one is refused online.
   */
  _refusedForGood(kind, topic, e) {
    const isSubs = kind === 'subscribe' || kind === 'unsubscribe';
    const set = isSubs ? this._subs : this._ignores;
    const adds = kind === 'subscribe' || kind === 'ignore';
    const held = !!this._kept[isSubs ? 'subscribe' : 'ignore'].has(topic); // by the gateway, after this refusal
    const queued = (isSubs ? this._inFlight.subs : this._inFlight.ignores).get(topic);
    if (queued && queued.length > 0) {
      // the app's own calls on it, in flight behind this one, stood on it being granted: they now stand on what
      // the gateway holds, and their answers settle the books
      queued[0].beneath = held;
    } else if (!this._wants(kind, topic)) {
      return; // the app changed its mind meanwhile
    } else if (adds) {
      set.delete(topic);
      if (held) this._restore(kind === 'subscribe' ? 'unsubscribe' : 'unignore', [topic]);
      // as an unsubscribe does: what is left (a `since` never granted) is no position of a topic that flows
      if (kind === 'subscribe') this._forgetUncoveredPositions();
    } else if (held) {
      set.add(topic);
    }
    this._emit('error', { code: e.code, message: e.message, id: e.id, topics: [topic] });
  }

  /**
   * Sends written on a lost link: after a resume they are written again with the same id (a gateway that still
   * holds one answers `bad_request` duplicate, which is ignored; a node drops a repeated (session, id)). A new
   * session cannot claim them, so their outcome is unknown. Then the queued sends go, in call order.
   */
  _resendAndFlushSends(newSession) {
    for (const record of [...this._sends.values()]) {
      if (record.written && newSession) {
        this._sends.delete(record.id);
        this._o.clearTimeout(record.timer);
        record.reject(new GatewayError('upstream_unavailable', 'the link dropped before the ack and the session '
          + 'was not resumed: the outcome is unknown', { id: record.id }));
      } else {
        record.resent = record.written;
        this._writeSend(record);
      }
    }
  }

  _onAck(id) {
    const record = this._sends.get(id);
    if (!record) return; // a repeated ack after a resend
    this._settleSend(record); // a resend still waiting for its turn must not leave after it was answered
    record.resolve({ id });
  }

  _onError(m) {
    const record = m.id != null ? this._sends.get(m.id) : null;
    if (record) {
      if (record.resent && m.code === 'bad_request' && /duplicate/i.test(m.message || '')) return; // still in flight
      this._settleSend(record); // after a nack, a resend waiting for its turn could still be accepted
      record.reject(new GatewayError(m.code, m.message, { id: m.id }));
      return;
    }
    const request = m.id != null ? this._requests.get(m.id) : null;
    if (request) {
      this._requests.delete(m.id);
      const e = new GatewayError(m.code, m.message, { id: m.id, topics: request.topics });
      request.answered?.(e);
      request.reject(e);
      return;
    }
    this._emit('error', { code: m.code, message: m.message, id: m.id });
  }

  _onReply(m) {
    const request = this._requests.get(m.id);
    if (!request) return;
    this._requests.delete(m.id);
    request.answered?.(null);
    request.resolve(request.topics);
  }

  // ---- outbound ------------------------------------------------------------------------------------------

  /** A subscription-like change: recorded at once (links to come follow it), sent now if there is a link. */
  _change(kind, topics, record) {
    let list;
    try {
      list = toTopicList(topics);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this._closed()) return Promise.reject(new GatewayError('closed', 'the client is closed'));
    const { added, removed, since, forgotten, given } = record(list);
    const positions = { forgotten, given }; // what a refusal gives back, on whichever link it comes
    if (this.state !== State.CONNECTED || !this._ws) { // no link: also from a listener while one is torn down
      // the sync after the next welcome sends it (with `since` from the positions just recorded)
      return new Promise((resolve, reject) => {
        this._waiting.push({ kind, topics: list, resolve, reject, ...positions });
        this._wakeUp();
      });
    }
    const isSubs = kind === 'subscribe' || kind === 'unsubscribe';
    const set = isSubs ? this._subs : this._ignores;
    const book = isSubs ? this._inFlight.subs : this._inFlight.ignores;
    const adds = kind === 'subscribe' || kind === 'ignore';
    const call = ++this._callNo;
    for (const t of list) {
      const beneath = adds ? !added.includes(t) : removed.includes(t);
      if (!book.has(t)) book.set(t, []);
      book.get(t).push({ call, target: adds, beneath });
    }
    // The gateway's answer, applied as it is read: the lines after it in the frame (live messages, a gap) come from
    // a gateway that applied it. Only an answer on the link the request went out on is its answer: one carried to a
    // later link is settled by that link's sync, which keeps the books, and `closed` is no answer at all.
    const answered = (e) => {
      const granted = !e;
      for (const t of list) {
        const calls = book.get(t);
        const at = calls ? calls.findIndex((c) => c.call === call) : -1;
        if (at < 0) continue;
        const [settled] = calls.splice(at, 1);
        // refused as a whole: the gateway keeps what it had beneath this call, and so does the client
        const after = granted ? settled.target : settled.beneath;
        if (at < calls.length) calls[at].beneath = after; // the next call in flight now stands on that
        else if (!granted) after ? set.add(t) : set.delete(t); // the last one: the books say it
        if (calls.length === 0) book.delete(t);
      }
      list.forEach((t) => this._positionsAnswered(positions, t, !granted));
      if (!granted && kind === 'subscribe') this._forgetUncoveredPositions(); // as an unsubscribe would
    };
    return this._request(kind, list, since, { ...positions, answered });
  }

  /**
   * `call`, for the app's own calls: what it did to positions ({forgotten, given}), kept with it should the link drop,
   * and `answered(error or null)`, run as the answer is read on this link (a request too big to write: at once).
   */
  _request(kind, topics, since, call = {}) {
    const id = `r-${this._nextId++}`;
    const frame = { type: kind, id, topics };
    if (since && Object.keys(since).length > 0) frame.since = since;
    const line = JSON.stringify(frame);
    if (this._tooBig(line)) {
      const e = new GatewayError('message_too_big', `${kind} request exceeds ${this._frameLimit} bytes`);
      call.answered?.(e);
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      this._requests.set(id, { kind, topics, resolve, reject, ...call });
      this._write(line);
    });
  }

  /** `record.written` once it leaves in a frame: one still waiting here when the link drops is only queued. */
  _writeSend(record) {
    if (this._tooBig(record.line)) { // the frame budget shrank after a 1009: written, it would close the link again
      this._settleSend(record);
      record.reject(new GatewayError('message_too_big', `send exceeds ${this._frameLimit} bytes, the frame budget `
        + 'since the gateway closed a link with 1009' + (record.written ? ' (its outcome on that link is unknown)' : ''),
      { id: record.id }));
      return;
    }
    this._write(record.line, record);
  }

  /** A send answered (or given up): no longer in flight, and no longer waiting in the outbox for its turn. */
  _settleSend(record) {
    this._sends.delete(record.id);
    this._o.clearTimeout(record.timer);
    const waiting = this._outbox.findIndex((entry) => entry.record === record);
    if (waiting >= 0) this._outbox.splice(waiting, 1);
  }

  _tooBig(line) {
    return byteLength(line) > this._frameLimit;
  }

  /**
   * Lines written in one task leave as one frame (newline-separated), as the gateway batches its own, at most
   * `requestRate` a second after a burst of `requestBurst`: the gateway refuses requests beyond its rate and closes a
   * session that piles up refusals with 1008, which would stop the client for good (an app sending a thousand events
   * at once, or the resends and queued sends after a resume). A ping goes at once, in a frame of its own, counted
   * against the rate but never waiting behind paced lines: its answer is what proves the link alive.
   */
  _write(line, record = null) {
    if (line === PING && this._ws) {
      this._takeTokens(0);
      this._bucket.tokens -= 1;
      this._ws.send(line);
      if (this._welcomed) this._armPing(); // a write like any other
      return;
    }
    this._outbox.push({ line, record });
    if (this._flushScheduled) return;
    this._flushScheduled = true;
    queueMicrotask(() => this._flush());
  }

  _flush() {
    this._flushScheduled = false;
    const ws = this._ws;
    if (!ws || this._outbox.length === 0) return;
    const allowed = this._takeTokens(this._outbox.length);
    if (allowed < this._outbox.length) this._flushLater(Math.min(this._outbox.length - allowed, PACED_BATCH));
    if (allowed <= 0) return;
    const lines = this._outbox.splice(0, allowed);
    let frame = [];
    let bytes = 0;
    for (const { line, record } of lines) {
      if (record) record.written = true;
      const size = byteLength(line);
      if (frame.length > 0 && (!this._packLines || bytes + 1 + size > this._frameLimit)) {
        ws.send(frame.join('\n'));
        frame = [];
        bytes = 0;
      }
      bytes += (frame.length > 0 ? 1 : 0) + size;
      frame.push(line);
    }
    ws.send(frame.join('\n'));
    if (this._welcomed) this._armPing(); // the welcome arms it for what was written before
  }

  /** Requests the bucket allows now, at most `wanted`, taken from it. */
  _takeTokens(wanted) {
    const now = this._o.now();
    const bucket = this._bucket;
    // a wall clock stepped back must not take tokens away (and stall every write for as long)
    const elapsed = Math.max(0, now - bucket.at);
    bucket.tokens = Math.min(this._o.requestBurst, bucket.tokens + elapsed * this._o.requestRate / 1000);
    bucket.at = now;
    const taken = Math.max(0, Math.min(wanted, Math.floor(bucket.tokens))); // a ping may have taken it below 0
    bucket.tokens -= taken;
    return taken;
  }

  /** Flushes again once the bucket holds `batch` more requests (paced lines leave in frames of several). */
  _flushLater(batch) {
    this._flushScheduled = true;
    const wait = Math.max(1, Math.ceil((batch - this._bucket.tokens) * 1000 / this._o.requestRate));
    this._flushTimer = this._o.setTimeout(() => {
      this._flushTimer = null;
      this._flush();
    }, wait);
  }

  /** Drops the least recently delivered position of a topic not subscribed by name. */
  _evictPatternPosition() {
    for (const topic of this._positions.keys()) {
      if (!this._subs.has(topic)) {
        this._positions.delete(topic);
        return;
      }
    }
  }

  /** Forgets the positions of topics no subscription covers any more; returns them (topic → position). */
  _forgetUncoveredPositions() {
    const forgotten = new Map();
    for (const [topic, position] of this._positions) {
      if (!this._covered(topic)) forgotten.set(topic, position);
    }
    forgotten.forEach((position, topic) => this._positions.delete(topic));
    return forgotten;
  }

  /** The position the client itself reached (a message delivered, a gap): beneath any `since` not yet granted. */
  _reached(topic) {
    const bottom = this._pendingBottom(topic);
    return bottom ? bottom.replaced : this._positions.get(topic);
  }

  /**
   * The oldest of the `since`s not yet granted that the topic's position stands on (each replaced the one before),
   * whose `replaced` is what the client reached; null when the position is no such `since`.
   */
  _pendingBottom(topic) {
    const pending = this._sinceGiven.get(topic);
    if (!pending) return null;
    let position = this._positions.get(topic);
    let bottom = null;
    for (let i = pending.length - 1; i >= 0; i--) {
      if (pending[i].position === position) {
        bottom = pending[i];
        position = bottom.replaced;
      }
    }
    return bottom;
  }

  /**
   * A message dropped (or a gap reported) beneath a `since` not yet granted: the client reached it, so a refusal
   * goes back to it, not before it (where the next message would report what the client itself threw away).
   */
  _reachedBeneath(topic, epoch, offset) {
    const bottom = this._pendingBottom(topic);
    const reached = bottom?.replaced;
    if (bottom && (!reached || reached.epoch !== epoch || reached.offset < offset)) bottom.replaced = { epoch, offset };
  }

  /** Records that a call set `topic`'s position from the app's `since`, until the gateway answers the call. */
  _giveSince(topic, position) {
    const given = { position, replaced: this._positions.get(topic) };
    this._positions.set(topic, position);
    if (!this._sinceGiven.has(topic)) this._sinceGiven.set(topic, []);
    this._sinceGiven.get(topic).push(given);
    return given;
  }

  /**
   * The gateway answered the call that gave `given`: granted, the position stands; refused, it goes back to what it
   * replaced (forgotten if no subscription covers the topic now), unless a message moved it on meanwhile, or a later
   * call replaced it, which then puts back this one's predecessor if it is refused in turn.
   */
  _answerSince(topic, given, refused) {
    const pending = this._sinceGiven.get(topic) || [];
    const at = pending.indexOf(given);
    if (at < 0) return; // a stop let it stand
    pending.splice(at, 1);
    if (pending.length === 0) this._sinceGiven.delete(topic);
    if (!refused) return;
    this._takenBack.set(given.position, given.replaced); // for an unsubscribe in flight that forgot it
    const later = pending.find((g) => g.replaced === given.position);
    if (later) later.replaced = given.replaced;
    else if (this._positions.get(topic) !== given.position) return;
    else if (given.replaced && this._covered(topic)) this._positions.set(topic, given.replaced);
    else this._positions.delete(topic);
  }

  /**
   * A call's positions follow the gateway's verdict on one of its topics: a refused `since` is taken back, and the
   * positions a refused unsubscribe forgot come back where a subscription covers them again (one that was a `since`
   * refused meanwhile as what it went back to, and beneath a `since` given since then that is not yet answered).
   * `closed` (a stop) is no verdict: the call's topics wait for the next connect(), with their positions.
   */
  _positionsAnswered(call, topic, refused) {
    const given = call.given?.get(topic);
    if (given) this._answerSince(topic, given, refused);
    if (!refused || !call.forgotten) return;
    for (const [t, forgotten] of call.forgotten) {
      let position = forgotten;
      while (position && this._takenBack.has(position)) position = this._takenBack.get(position);
      if (!position || !this._covered(t)) continue;
      const bottom = this._pendingBottom(t);
      if (!bottom) {
        if (!this._positions.has(t)) this._positions.set(t, position);
      } else if (!bottom.replaced) {
        bottom.replaced = position;
      }
    }
  }

  _covered(topic) {
    for (const s of this._subs) if (s === topic || topicMatches(s, topic)) return true;
    return false;
  }

  _emit(type, event) {
    const listeners = this._listeners.get(type);
    if (!listeners) return;
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (e) {
        // a failing listener must not break the client's own bookkeeping; surface it like an uncaught error
        queueMicrotask(() => { throw e; });
      }
    }
  }
}

/**
 * A topic's outcome in a restore: `promise` for the calls waiting on it, and `follow(fn)` for what must happen as the
 * answer is read (what those calls did to positions), before the lines after it in the frame: a promise's callbacks
 * would run only after the whole frame. `settle(null)`: kept; `settle(error)`: refused (or `closed`); once.
 */
class Outcome {
  constructor() {
    this._heard = [];
    this._settled = false;
    this._error = null;
    this.promise = new Promise((resolve, reject) => { this._resolve = resolve; this._reject = reject; });
    this.promise.catch(() => {}); // observed by waiters, if any
  }

  settle(error) {
    if (this._settled) return;
    this._settled = true;
    this._error = error;
    this._heard.splice(0).forEach((fn) => fn(error));
    if (error) this._reject(error);
    else this._resolve();
  }

  follow(fn) {
    if (this._settled) fn(this._error);
    else this._heard.push(fn);
  }
}

const PING = '{"type":"ping"}';
/** Lines a paced flush waits for before it writes: fewer, fuller frames than one per token. */
const PACED_BATCH = 20;

/** Refusals that pass: a restore refused with one is asked again later on the same link. */
const TRANSIENT_REFUSALS = new Set(['rate_limited', 'upstream_unavailable']);

function pick(since, topics) {
  const picked = {};
  for (const topic of topics) if (since[topic]) picked[topic] = since[topic];
  return Object.keys(picked).length > 0 ? picked : undefined;
}

/** `promise`, or a `timeout` error after `ms`; the timer's cancel sits in `cancels` meanwhile (a stop clears it). */
function withTimeout(promise, ms, clock, message, cancels) {
  let timer = null;
  const timeout = new Promise((resolve, reject) => {
    timer = clock.setTimeout(() => reject(new GatewayError('timeout', message)), ms);
  });
  const cancel = () => clock.clearTimeout(timer);
  cancels.add(cancel);
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => {
    clock.clearTimeout(timer);
    cancels.delete(cancel);
  });
}

function resolveSocketUrl(url) {
  const base = typeof location !== 'undefined' ? location.href : undefined;
  const resolved = new URL(url, base);
  if (resolved.protocol === 'http:') resolved.protocol = 'ws:';
  if (resolved.protocol === 'https:') resolved.protocol = 'wss:';
  return resolved.toString();
}

function defaultHealthUrl(socketUrl) {
  const url = new URL(socketUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = `${url.pathname.replace(/\/$/, '')}/health`;
  url.search = '';
  return url.toString();
}

if (typeof globalThis !== 'undefined' && !globalThis.GatewayClient) {
  globalThis.GatewayClient = GatewayClient;
}
