// A webhook receiver that verifies Petrel's signatures, for the README's Quick start:
//
//   PETREL_WEBHOOK_SECRET=whsec_… node examples/server/webhook-receiver.ts      # listens on 127.0.0.1:9000
//
// Each delivery's signature is checked as docs/server.md shows (HMAC-SHA256 of `v0:{timestamp}:{raw
// body}` under the organization's webhook secret, `GET /v1/webhooks/secret`); a good one is printed
// as one JSON line and answered 200, a bad or stale one is answered 401. PORT changes the port.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const secret = process.env.PETREL_WEBHOOK_SECRET;
if (!secret) {
  console.error('set PETREL_WEBHOOK_SECRET (curl -s -H "x-api-key: $KEY" $PETREL/v1/webhooks/secret)');
  process.exit(1);
}
const port = Number(process.env.PORT ?? 9000);

/** True when the body was signed with the secret less than five minutes ago. */
export function verifyPetrelWebhook(key: string, rawBody: string, headers: Record<string, string | string[] | undefined>): boolean {
  const timestamp = Number(headers['x-petrel-timestamp']);
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
  const expected = Buffer.from(`v0=${createHmac('sha256', key).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`);
  const given = Buffer.from(String(headers['x-petrel-signature'] ?? ''));
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (!verifyPetrelWebhook(secret, body, request.headers)) {
      console.log(JSON.stringify({ verified: false, path: request.url }));
      response.writeHead(401).end('bad signature');
      return;
    }
    const run = JSON.parse(body) as { run_id?: string; status?: string; workflow_id?: string; output?: unknown };
    console.log(JSON.stringify({ verified: true, run_id: run.run_id, status: run.status, workflow_id: run.workflow_id, output: run.output }));
    response.writeHead(200).end('ok');
  });
});
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.error(`webhook receiver on http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : port}/petrel`);
});
