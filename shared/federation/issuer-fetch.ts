import type { lookup as dnsLookup, LookupAddress } from 'node:dns';
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { type AddressRules, addressProblem, outboundUrlProblem } from './addresses.js';

/**
 * The only way the service fetches anything an issuer names (its discovery document and
 * its keys): a GET whose URL is checked first (https, a public host), whose address is
 * checked again when the connection is made (a name that resolved to a public address at
 * one moment and to 127.0.0.1 the next, DNS rebinding, is refused at connect), which
 * follows no redirect, and whose answer is bounded in size and in time. It has the shape
 * of `fetch`, so jose's remote key set uses it too.
 */
export interface IssuerFetchOptions {
  rules: AddressRules;
  /** The whole request, connection to last byte. */
  timeoutMs: number;
  /** The longest body read. */
  maxBytes: number;
  /** DNS (tests give names the addresses they need). */
  lookup?: typeof dnsLookup;
}

export type IssuerFetch = (
  url: string | URL,
  init?: { signal?: AbortSignal | null; headers?: HeadersInit },
) => Promise<Response>;

/** A request refused by the rules (or its answer by the bounds); its message says why, for the policy test. */
export class OutboundRefused extends Error {
  override name = 'OutboundRefused';
}

/** Resolves a name, then refuses it if any of its addresses is not public: the one connected to is among them. */
function checkedLookup(rules: AddressRules, lookup: typeof dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (error, found) => {
      const addresses = found as unknown as LookupAddress[];
      if (error) return callback(error, '', 0);
      const refused = addresses.map((entry) => addressProblem(entry.address, rules)).find(Boolean);
      if (refused !== undefined || addresses.length === 0) {
        const reason = new OutboundRefused(`${hostname} resolves to a non-public address: ${refused ?? 'none'}`);
        return callback(Object.assign(reason, { code: 'EREFUSED' }), '', 0);
      }
      if (options.all) return (callback as unknown as (error: null, all: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/**
 * `node:http`'s request, for a loopback issuer (local and test setups only), taken when first
 * needed rather than imported: importing `node:http` as a module builds its whole export list,
 * which loads Node's fetch implementation, about 30 ms of the exchange's init.
 */
const plainHttpRequest = () => process.getBuiltinModule('node:http').request;
/** `node:dns`'s lookup, taken when first called: an import would build the module's wrapper at every init. */
const systemLookup = ((...args: Parameters<typeof dnsLookup>) =>
  Reflect.apply(process.getBuiltinModule('node:dns').lookup, undefined, args)) as typeof dnsLookup;

type Done = (error: Error | undefined, response?: Response) => void;

/** Reads the body up to `maxBytes`, refusing as soon as it is declared or found to be larger. */
function readBody(response: IncomingMessage, maxBytes: number, finish: Done, done: (body: Buffer) => void): void {
  const tooLarge = () => finish(new OutboundRefused(`the answer is larger than ${maxBytes} bytes`));
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    tooLarge();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  response.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) return tooLarge();
    chunks.push(chunk);
  });
  response.on('end', () => done(Buffer.concat(chunks)));
  response.on('error', (error) => finish(error));
}

export function createIssuerFetch(options: IssuerFetchOptions): IssuerFetch {
  const lookup = checkedLookup(options.rules, options.lookup ?? systemLookup);
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(String(input));
      const problem = outboundUrlProblem(url, options.rules);
      if (problem !== undefined) return reject(new OutboundRefused(`${url.origin} ${problem}`));
      let request: ClientRequest | undefined;
      let settled = false;
      const finish: Done = (error, response) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        init.signal?.removeEventListener('abort', abort);
        if (error) {
          request?.destroy();
          reject(error);
        } else resolve(response!);
      };
      const within = `within ${options.timeoutMs} ms`;
      const late = () => finish(new OutboundRefused(`no whole answer from ${url.origin} ${within}`));
      const timer = setTimeout(late, options.timeoutMs);
      const abort = () => finish(Object.assign(new Error('The request was aborted'), { name: 'TimeoutError' }));
      if (init.signal?.aborted) return abort();
      init.signal?.addEventListener('abort', abort);
      const headers = Object.fromEntries(new Headers(init.headers ?? { accept: 'application/json' }));
      // A fresh connection each time (no pooled socket): every request resolves, and is checked, anew.
      const requestOptions: RequestOptions = { method: 'GET', headers, lookup, agent: false };
      request = (url.protocol === 'https:' ? httpsRequest : plainHttpRequest())(url, requestOptions, (response) => {
        const status = response.statusCode ?? 0;
        if (status !== 200) {
          response.resume();
          const redirect = status >= 300 && status < 400 ? '; redirects are not followed' : '';
          return finish(new OutboundRefused(`${url.origin} answered ${status}${redirect}`));
        }
        const headers = { 'content-type': String(response.headers['content-type'] ?? '') };
        const answered = (body: Buffer) => finish(undefined, new Response(new Uint8Array(body), { status, headers }));
        readBody(response, options.maxBytes, finish, answered);
      });
      request.on('error', (error) => finish(error));
      request.end();
    });
}
