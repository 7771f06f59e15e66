// Test doubles for the client: a manual clock, a scripted WebSocket and a scripted /ws/health.

/** setTimeout/clearTimeout on a clock that moves only when a test says so. */
export class ManualClock {
  constructor() {
    this.now = 0;
    this.timers = new Map();
    this.nextId = 1;
    /** When set, timers run only at multiples of it, as a background tab's do (Chrome: once a minute). */
    this.alignment = 0;
    this.setTimeout = (fn, ms) => {
      const id = this.nextId++;
      const due = this.now + Math.max(0, ms);
      const at = this.alignment > 0 ? Math.ceil(due / this.alignment) * this.alignment : due;
      this.timers.set(id, { at, due, fn });
      return id;
    };
    this.clearTimeout = (id) => this.timers.delete(id);
  }

  /** Throttles the timers set from now on as a hidden tab's: each runs at the next multiple of `ms`. */
  throttle(ms) {
    this.alignment = ms;
  }

  /** Runs every timer due within `ms`, in time order (at one wake-up, in order of due time), settling after each. */
  async advance(ms) {
    const end = this.now + ms;
    for (;;) {
      await settle();
      let next = null;
      for (const [id, t] of this.timers) {
        if (t.at <= end && (next === null || t.at < next[1].at || (t.at === next[1].at && t.due < next[1].due))) {
          next = [id, t];
        }
      }
      if (next === null) break;
      this.timers.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
    }
    this.now = end;
    await settle();
  }

  /** The delays of pending timers, for asserting what the client waits for. */
  pending() {
    return [...this.timers.values()].map((t) => t.at - this.now).sort((a, b) => a - b);
  }
}

/** Lets queued promise callbacks and microtasks (the client's write batching) run. */
export async function settle() {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A WebSocket whose server side the test plays: `open`, `receive`, `drop`; `sent` holds parsed client lines. */
export class FakeSocket {
  static instances = [];

  constructor(url, protocols) {
    this.url = new URL(url);
    this.protocols = protocols;
    this.frames = [];
    this.opened = false;
    this.closedWith = null;
    FakeSocket.instances.push(this);
  }

  static last() {
    return FakeSocket.instances[FakeSocket.instances.length - 1];
  }

  static reset() {
    FakeSocket.instances = [];
  }

  send(frame) {
    if (!this.opened) throw new Error('InvalidStateError: send() before the socket opened');
    this.frames.push(frame);
  }

  close(code, reason) {
    this.closedWith = { code, reason };
  }

  /** Every line the client wrote, parsed (frames split on \n as the gateway does). */
  get sent() {
    return this.frames.flatMap((f) => f.split('\n')).map((l) => JSON.parse(l));
  }

  sentOfType(type) {
    return this.sent.filter((m) => m.type === type);
  }

  /** The upgrade completes: the client may write from now on (a browser throws before). */
  open() {
    if (this.opened) return;
    this.opened = true;
    this.onopen?.({});
  }

  receive(...messages) {
    this.onmessage({ data: messages.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join('\n') });
  }

  /** Opens the socket first if the test did not (the gateway's welcome is its first frame). */
  welcome({ session = 's-1', resume = 'tok-1', heartbeat = 25000, restored = null } = {}) {
    this.open();
    this.receive({ type: 'welcome', protocol: 1, session, resume, heartbeat, restored });
  }

  /** The server (or the network) closes the link. */
  drop(code = 1006, reason = '') {
    this.onclose({ code, reason });
  }
}

/** fetch for /ws/health: answers the statuses queued with `next`, else 200. */
export function fakeHealth() {
  const health = {
    calls: [],
    statuses: [],
    fetch: async (url) => {
      health.calls.push(String(url));
      const status = health.statuses.length > 0 ? health.statuses.shift() : 200;
      if (status === 'error') throw new TypeError('network error');
      return { status };
    },
  };
  return health;
}
