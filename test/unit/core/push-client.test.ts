/**
 * The push client's keep-alive with a stub socket: while open it sends `{"action":"ping"}` every
 * interval (API Gateway closes a WebSocket idle for 10 minutes), and stops when the socket
 * closes or the watcher is stopped.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PushWatcher, type SocketLike } from '../../../core/push-client.ts';
import { PUSH } from '../../../core/push-config.ts';

type Listener = (event: { data?: unknown }) => void;

function stubSocket() {
  const listeners = new Map<string, Listener[]>();
  const sent: unknown[] = [];
  const socket: SocketLike & { fire(type: string): void } = {
    readyState: 0,
    send: (data) => sent.push(JSON.parse(data)),
    close: () => undefined,
    addEventListener: (type, listener) => listeners.set(type, [...(listeners.get(type) ?? []), listener]),
    fire(type) {
      (this as { readyState: number }).readyState = type === 'open' ? 1 : 3;
      for (const l of listeners.get(type) ?? []) l({});
    },
  };
  return { socket, sent };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('push client keep-alive', () => {
  it('pings within the idle limit while open, and not after stop()', async () => {
    expect(PUSH.pingIntervalMs).toBeLessThan(10 * 60_000);
    const { socket, sent } = stubSocket();
    const watcher = new PushWatcher({
      url: 'ws://push',
      apiKey: 'k',
      socket: () => socket,
      onEvent: () => undefined,
    });
    const connected = watcher.connect();
    socket.fire('open');
    await connected;
    watcher.subscribe({ all: true });
    await vi.advanceTimersByTimeAsync(PUSH.pingIntervalMs * 2);
    expect(sent).toEqual([{ action: 'subscribe', all: true }, { action: 'ping' }, { action: 'ping' }]);
    watcher.stop();
    await vi.advanceTimersByTimeAsync(PUSH.pingIntervalMs * 2);
    expect(sent).toHaveLength(3);
  });

  it('stops pinging a socket that closed', async () => {
    const { socket, sent } = stubSocket();
    const watcher = new PushWatcher({
      url: 'ws://push',
      apiKey: 'k',
      socket: () => socket,
      onEvent: () => undefined,
      pingIntervalMs: 1000,
      maxReconnects: 0,
    });
    const connected = watcher.connect();
    socket.fire('open');
    await connected;
    await vi.advanceTimersByTimeAsync(1000);
    socket.fire('close');
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toEqual([{ action: 'ping' }]);
    await expect(watcher.closed).rejects.toThrow(/reconnect/);
  });
});
