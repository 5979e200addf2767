/**
 * A TCP proxy in front of the emulator that can fail the way a network does: `refuse()` closes
 * the port (connections refused, open ones reset), `hang()` accepts connections and forwards
 * nothing (open ones stall too), `restore()` forwards again and resets what stalled, so clients
 * see the outage end as they would when a real endpoint comes back.
 */
import net from 'node:net';

export type ProxyMode = 'pass' | 'refuse' | 'hang';

export class ChaosProxy {
  readonly #target: { host: string; port: number };
  #server: net.Server | undefined;
  #port = 0;
  #mode: ProxyMode = 'pass';
  readonly #sockets = new Set<net.Socket>();

  constructor(targetUrl: string) {
    const url = new URL(targetUrl);
    this.#target = { host: url.hostname, port: Number(url.port) };
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  async start(): Promise<void> {
    const server = net.createServer((client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  /** Connection refused: the port closes and open connections are reset. */
  async refuse(): Promise<void> {
    this.#mode = 'refuse';
    // Reset first: close() waits for open connections to end.
    const closed = this.#closeServer();
    this.#resetAll();
    await closed;
  }

  /** Connections accepted, nothing forwarded, open ones stall. */
  hang(): void {
    this.#mode = 'hang';
    for (const s of this.#sockets) s.pause();
  }

  /** Back to normal: the port listens again and whatever stalled is reset. */
  async restore(): Promise<void> {
    const was = this.#mode;
    this.#mode = 'pass';
    if (was === 'hang') this.#resetAll();
    if (!this.#server) await this.start();
  }

  async close(): Promise<void> {
    const closed = this.#closeServer();
    this.#resetAll();
    await closed;
  }

  #accept(client: net.Socket): void {
    this.#sockets.add(client);
    client.on('close', () => this.#sockets.delete(client));
    client.on('error', () => {});
    if (this.#mode === 'hang') {
      client.pause();
      return;
    }
    const upstream = net.connect(this.#target);
    this.#sockets.add(upstream);
    upstream.on('close', () => {
      this.#sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    // Forward only while passing: during a hang, bytes wait in the paused sockets.
    client.on('data', (chunk) => {
      if (this.#mode === 'pass') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (this.#mode === 'pass') client.write(chunk);
    });
  }

  #resetAll(): void {
    for (const s of this.#sockets) s.resetAndDestroy();
    this.#sockets.clear();
  }

  async #closeServer(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise((r) => server.close(r));
  }
}
