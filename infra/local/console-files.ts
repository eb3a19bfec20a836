import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { type ConsoleSettings, securityHeaders } from '../console-settings.js';
import { buildConsole } from './console-build.js';

/**
 * `npm start`'s console: the Vite build served at `/console/`, with `config.json` telling
 * it where to sign in, and the same security headers CloudFront adds in AWS.
 */
export const CONSOLE_PATH = '/console';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Builds the console if its sources changed, then serves it. */
export async function consoleFiles(
  settings: ConsoleSettings,
): Promise<(req: IncomingMessage, res: ServerResponse) => void> {
  const root = await buildConsole();
  const headers = securityHeaders([new URL(settings.issuer).origin]);
  const config = JSON.stringify(settings);

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('Method not allowed\n');
      return;
    }
    if (path === CONSOLE_PATH) {
      res.writeHead(301, { Location: `${CONSOLE_PATH}/` }).end();
      return;
    }
    if (path === `${CONSOLE_PATH}/config.json`) {
      res
        .writeHead(200, { ...headers, 'Content-Type': TYPES['.json']!, 'Cache-Control': 'no-cache' })
        .end(req.method === 'HEAD' ? undefined : config);
      return;
    }
    const relativePath = path === `${CONSOLE_PATH}/` ? 'index.html' : path.slice(CONSOLE_PATH.length + 1);
    const file = resolve(root, relativePath);
    if (!file.startsWith(root + sep)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n');
      return;
    }
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n');
      return;
    }
    // Hashed assets never change; the page itself is checked each time.
    const cache = relativePath.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    res.writeHead(200, {
      ...headers,
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': cache,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  return (req, res) => {
    serve(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(400, { 'Content-Type': 'text/plain' });
      res.end('Bad request\n');
    });
  };
}
