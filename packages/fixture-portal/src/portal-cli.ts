// `npm run portal`: serves the fixture portal by hand for demos until Ctrl-C.
// Usage: npm run portal -- [--port 8080] [--cross-origin-port 8081] [--host 127.0.0.1] [--cross-origin-host localhost] [--seed 2026]
import { parseArgs } from 'node:util';
import { DEMO_USER, LOCKED_USER } from './portal-data.ts';
import { startPortal } from './start-portal.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'cross-origin-port': { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'cross-origin-host': { type: 'string' },
    seed: { type: 'string' },
    'slow-page-ms': { type: 'string' },
  },
});

const portal = await startPortal({
  port: Number(values.port),
  crossOriginPort: Number(values['cross-origin-port']),
  host: values.host,
  ...(values['cross-origin-host'] === undefined ? {} : { crossOriginHost: values['cross-origin-host'] }),
  ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
  ...(values['slow-page-ms'] === undefined ? {} : { slowPageMs: Number(values['slow-page-ms']) }),
});

console.log(`Ember Supply fixture portal

  main origin:          ${portal.url}
  cross-site frames:    ${portal.crossOriginUrl}
  test pages:           ${portal.url}/playground

  demo user:    ${DEMO_USER.email} / ${DEMO_USER.password}
  TOTP secret:  ${DEMO_USER.totpSecret}   (current code: ${portal.totp()})
  locked user:  ${LOCKED_USER.email} / ${LOCKED_USER.password}

  ${portal.data.orders.length} orders, ${portal.data.jobs.length} jobs, ${portal.data.reports.length} reports (seed ${portal.data.seed}).
  Press Ctrl-C to stop.`);

// Closing both servers empties the event loop, so the process ends by itself.
const stop = () => {
  void portal.close();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
