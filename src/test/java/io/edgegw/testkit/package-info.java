/**
 * Shared fixtures that every test of the gateway reuses.
 *
 * <ul>
 *   <li>{@link io.edgegw.testkit.TestClient}: a browser stand-in over a real WebSocket that records every message it
 *       receives (text frames split on {@code \n}, as PROTOCOL.md section 0 says) and waits on conditions, never on
 *       time.</li>
 *   <li>{@link io.edgegw.testkit.TcpProxy}: a fault-injecting TCP proxy to put between any two peers (browser and
 *       gateway, gateway and node) to cut links, swallow traffic or refuse connections.</li>
 *   <li>{@link io.edgegw.testkit.Frames}: parsing and joining of newline-separated JSON messages.</li>
 *   <li>{@link io.edgegw.testkit.Futures}: blocking on a Vert.x future from a test thread, with a timeout.</li>
 *   <li>{@link io.edgegw.testkit.ProxiedClusterResource}: a three-node reference cluster with a {@code TcpProxy} in
 *       front of each node, and a gateway that knows the nodes only through the proxies (one upstream connection,
 *       millisecond heartbeats and backoff, random ports), for failover tests.</li>
 * </ul>
 *
 * <p>Everything here is safe to call from test threads. Nothing blocks an event loop: blocking methods refuse to run on
 * a Vert.x thread rather than dead-lock it.
 */
package io.edgegw.testkit;
