/**
 * @module functions/api/web-files
 * Serves the built web app (web/dist) and its `config.json` from the local API: GET `/`,
 * `/index.html`, `/assets/*` and `/config.json`; every other request goes on to the API. The
 * config carries the API and push URLs and, in local mode only, the local client's key, so the
 * page works without pasting one.
 */
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';

export interface WebAppOptions {
  /** The built app (index.html, assets/). */
  dir: string;
  /** What the page reads from `./config.json`. */
  config: { apiUrl?: string; pushUrl?: string; apiKey?: string };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/** Answers the request when it is for the web app; false lets the API handle it. */
export async function serveWebApp(
  web: WebAppOptions,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const pathname = new URL(req.url ?? '/', 'http://local').pathname;
  if (pathname === '/config.json') {
    res.writeHead(200, { 'content-type': TYPES['.json'], 'cache-control': 'no-store' });
    res.end(JSON.stringify(web.config));
    return true;
  }
  let file: string;
  if (pathname === '/' || pathname === '/index.html') file = 'index.html';
  else if (/^\/assets\/[\w.-]+$/.test(pathname)) file = pathname.slice(1);
  else return false;
  let body: Buffer;
  try {
    body = await readFile(path.join(web.dir, file));
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('The web app is not built: run "npm run build:web"');
    return true;
  }
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': body.length,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
