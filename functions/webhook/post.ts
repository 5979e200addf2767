/**
 * @module functions/webhook/post
 * One HTTP POST of a webhook event. Uses node:http(s) rather than fetch so that the address
 * check runs inside the connection's DNS lookup (see core/webhook-url.ts `guardedLookup`):
 * the addresses checked are the addresses dialled. Redirects are never followed (a 3xx is a
 * failed attempt), the whole attempt has a time limit, and the response body is discarded.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, isPrivateAddress, urlHost, WebhookUrlError } from '../../core/webhook-url.ts';

export interface PostOptions {
  /** Whole-attempt limit (connect, send, response headers), in milliseconds. */
  timeoutMs: number;
  /** Allow loopback and private addresses (local mode). */
  allowPrivate: boolean;
}

/** The outcome of one attempt. `retryable` is false when trying again cannot help. */
export type PostOutcome =
  | { ok: true; statusCode: number }
  | { ok: false; statusCode?: number; error: string; retryable: boolean };

/** Most response bytes read before the connection is closed. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export function postWebhook(
  url: URL,
  headers: Record<string, string>,
  body: string,
  options: PostOptions,
): Promise<PostOutcome> {
  const host = urlHost(url);
  // net.connect skips `lookup` for IP literals, so those are judged here.
  if (!options.allowPrivate && isIP(host) && isPrivateAddress(host)) {
    return Promise.resolve({ ok: false, error: `refused: ${host} is a private address`, retryable: false });
  }
  const client = url.protocol === 'https:' ? https : http;
  const payload = Buffer.from(body, 'utf8');
  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) },
        ...(options.allowPrivate ? {} : { lookup: guardedLookup }),
        agent: false,
      },
      (response) => {
        const statusCode = response.statusCode ?? 0;
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) response.destroy();
        });
        response.on('error', () => {});
        response.on('close', () => finish(outcomeFor(statusCode, response.headers.location)));
        response.on('end', () => finish(outcomeFor(statusCode, response.headers.location)));
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      finish({ ok: false, error: `timed out after ${options.timeoutMs} ms`, retryable: true });
    }, options.timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof WebhookUrlError)
        return finish({ ok: false, error: `refused: ${error.message}`, retryable: false });
      finish({ ok: false, error: describeNetworkError(error), retryable: true });
    });
    request.end(payload);
  });
}

function outcomeFor(statusCode: number, location: string | undefined): PostOutcome {
  if (statusCode >= 200 && statusCode < 300) return { ok: true, statusCode };
  if (statusCode >= 300 && statusCode < 400) {
    return {
      ok: false,
      statusCode,
      error: `receiver answered HTTP ${statusCode} (redirect${location ? ` to ${location}` : ''}); redirects are not followed`,
      retryable: true,
    };
  }
  return { ok: false, statusCode, error: `receiver answered HTTP ${statusCode}`, retryable: true };
}

/**
 * The class of a network failure, never the raw message: "ECONNREFUSED 10.0.0.5:8443" stored
 * on the job and returned by the API would tell a client which hosts and ports answer.
 */
function describeNetworkError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset';
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return 'connection timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ENODATA':
      return 'host name did not resolve';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return error.code?.startsWith('ERR_TLS') ||
        error.code?.includes('CERT') ||
        /SSL|TLS/i.test(error.message)
        ? 'TLS handshake failed'
        : 'network error';
  }
}
