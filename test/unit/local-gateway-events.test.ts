import { describe, expect, it } from '@jest/globals';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lambdaContext, readBody } from '../../infra/local/gateway-events.js';

/** What the local gateway hands a function, and how it reads a request's body, over real HTTP. */
describe('the local gateway’s events', () => {
  it('hands a context whose remaining time works called unbound, as Middy calls it', () => {
    const context = lambdaContext('whoami', 'request-1');
    const { getRemainingTimeInMillis } = context;
    const remaining = getRemainingTimeInMillis();
    expect(remaining).toBeGreaterThan(28_000);
    expect(remaining).toBeLessThanOrEqual(29_000);
    expect(context).toMatchObject({
      functionName: 'whoami',
      awsRequestId: 'request-1',
      invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:whoami',
      logGroupName: '/aws/lambda/whoami',
    });
    expect(() => {
      context.done();
      context.fail('x');
      context.succeed('x');
    }).not.toThrow();
  });

  it('reads no body, a sized body, a chunked body and a body over the limit', async () => {
    const server = createServer(async (req, res) => {
      const { bytes, complete } = await readBody(req, 8);
      res.setHeader('Connection', complete ? 'keep-alive' : 'close');
      res.end(JSON.stringify({ body: bytes.toString(), complete }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const send = (method: string, headers: Record<string, string>, chunks: string[]) =>
      new Promise<unknown>((resolve, reject) => {
        const req = request({ port, method, headers }, (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk)).on('end', () => resolve(JSON.parse(text)));
        });
        req.on('error', reject);
        for (const chunk of chunks) req.write(chunk);
        req.end();
      });
    try {
      expect(await send('GET', {}, [])).toStrictEqual({ body: '', complete: true });
      expect(await send('POST', { 'Content-Length': '0' }, [])).toStrictEqual({ body: '', complete: true });
      expect(await send('POST', { 'Content-Length': '5' }, ['hello'])).toStrictEqual({ body: 'hello', complete: true });
      expect(await send('POST', { 'Transfer-Encoding': 'chunked' }, ['he', 'llo'])).toStrictEqual({
        body: 'hello',
        complete: true,
      });
      expect(await send('POST', { 'Content-Length': '12' }, ['hello world!'])).toStrictEqual({
        body: '',
        complete: false,
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
