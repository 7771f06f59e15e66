// What the browser tests stand on: Debian's Chromium driven by playwright-core, and a TCP proxy between the
// browser and the gateway that can kill, refuse or freeze connections the way a real network does.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const GATEWAY_URL = new URL(process.env.GATEWAY_URL || 'http://127.0.0.1:8081');
export const ARTIFACT_DIR = process.env.ARTIFACT_DIR || path.resolve('target', 'browser-tests');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** Chromium with a fresh profile directory, removed again by close(). */
export async function launchBrowser() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A new page that echoes its console errors and uncaught exceptions into the test output. */
export async function newPage(browser) {
  const page = await browser.context.newPage();
  await page.route('**/favicon.ico', (route) => route.fulfill({ status: 204 })); // no 404 noise in the output
  page.errors = [];
  page.on('pageerror', (e) => { page.errors.push(e.message); console.log(`[page error] ${e.message}`); });
  const seen = new Set(); // a reconnect loop repeats its errors: each distinct one is shown once
  page.on('console', (m) => {
    if (m.type() === 'error' && !seen.has(m.text())) {
      seen.add(m.text());
      console.log(`[console.error] ${m.text()}`);
    }
  });
  return page;
}

/**
 * A TCP proxy in front of the gateway. `drop()` resets every connection (the browser sees 1006, the gateway a link
 * lost without a close frame), `refuse(true)` makes new connections fail like an unreachable host, `freeze()` stops
 * forwarding on the open connections while keeping them open (a half-open link only a heartbeat can detect).
 */
export class FaultyLink {
  constructor(target = GATEWAY_URL) {
    this.targetHost = target.hostname;
    this.targetPort = Number(target.port || 80);
    this.pairs = new Set();
    this.refusing = false;
    this.server = net.createServer((socket) => this._accept(socket));
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = this.server.address().port;
    this.url = `http://127.0.0.1:${this.port}`;
    return this;
  }

  _accept(client) {
    client.on('error', () => {});
    if (this.refusing) {
      reset(client);
      return;
    }
    const upstream = net.connect(this.targetPort, this.targetHost);
    upstream.on('error', () => {});
    const pair = { client, upstream };
    this.pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
  }

  /** Resets every open connection at once. */
  drop() {
    for (const { client, upstream } of this.pairs) {
      reset(client);
      reset(upstream);
    }
    this.pairs.clear();
  }

  refuse(on) {
    this.refusing = on;
  }

  /** Open connections stop carrying bytes either way; new ones work. */
  freeze() {
    for (const { client, upstream } of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  async close() {
    this.drop();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function reset(socket) {
  if (typeof socket.resetAndDestroy === 'function' && socket.readyState !== 'closed' && !socket.connecting) {
    socket.resetAndDestroy();
  } else {
    socket.destroy();
  }
}

/** Polls `predicate` (run in the page) until it is truthy; fails with `what` after `timeout` ms. */
export async function waitInPage(page, what, predicate, arg, timeout = 10000) {
  try {
    return await page.waitForFunction(predicate, arg, { timeout, polling: 50 });
  } catch (e) {
    throw new Error(`waiting for ${what} (${timeout} ms): ${e.message.split('\n')[0]}`);
  }
}
