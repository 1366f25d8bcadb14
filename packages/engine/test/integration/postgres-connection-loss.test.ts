// A worker loses its database connection mid-run. Worker A reaches PostgreSQL through a TCP proxy
// on loopback that the test cuts (every connection dropped, new ones refused) or stalls (connections
// stay open but nothing moves, then everything A sent arrives late), and later restores; worker B
// connects directly. While cut off, A stops claiming, aborts every invocation whose lease
// it cannot renew before the lease lapses (so it stops before B may take the instance over), and
// retries with backoff; B replays the instances from their last recorded step. After the restore A
// claims again. Nothing is lost, and every recorded step result is written exactly once.
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { createEngine, createPostgresStore, defineWorkflow } from '@petrel/engine';
import type { Engine, Store } from '@petrel/engine';
import type { Logger } from '@petrel/protocol';
import { POSTGRES_URL, dropSchemas, freshSchema, postgresSkipReason } from '@petrel/testing';

const skip = await postgresSkipReason();

/** A loopback TCP proxy to PostgreSQL that can drop every connection and refuse new ones (`cut`), or stop moving bytes while keeping connections open (`stall`). */
async function startProxy(t: TestContext, target: URL): Promise<{ url: string; cut: () => void; stall: () => void; restore: () => void }> {
  const sockets = new Set<Socket>();
  let mode: 'up' | 'cut' | 'stalled' = 'up';
  const server: Server = createServer((client) => {
    if (mode === 'cut') {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
    if (mode === 'stalled') {
      client.pause();
      upstream.pause();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const url = new URL(target.href);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);
  return {
    url: url.href,
    cut: () => {
      mode = 'cut';
      for (const socket of sockets) socket.destroy();
    },
    stall: () => {
      mode = 'stalled';
      for (const socket of sockets) socket.pause();
    },
    restore: () => {
      mode = 'up';
      for (const socket of sockets) socket.resume();
    },
  };
}

type Execution = { worker: string; instanceId: string; step: string; start: number; end: number; aborted: boolean };

function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve(true)), { once: true });
  });
}

/** A workflow of slow steps (each longer than a lease) that logs who ran each step, from when to when. */
function cutFlow(worker: string, executions: Execution[]) {
  return defineWorkflow<{ n: number }>({
    name: 'cut-flow',
    versionKey: 'cut-flow-v1',
    async run(event, step) {
      const parts: number[] = [];
      for (let i = 0; i < 3; i++) {
        parts.push(
          await step.do(`slow ${i}`, async (ctx) => {
            const execution: Execution = { worker, instanceId: event.instanceId, step: `slow ${i}`, start: Date.now(), end: 0, aborted: false };
            executions.push(execution);
            execution.aborted = await sleepUnlessAborted(1200, ctx.signal);
            execution.end = Date.now();
            if (execution.aborted) throw new Error('aborted');
            return event.payload.n * 10 + i;
          }),
        );
      }
      return parts;
    },
  });
}

function recordingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: () => {},
    info: (_fields, message) => lines.push(message ?? ''),
    warn: (_fields, message) => lines.push(message ?? ''),
    error: (_fields, message) => lines.push(message ?? ''),
    child: () => logger,
  };
  return logger;
}

async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Worker A loses the database (`cut`: connections refused; `stall`: connections hang, then deliver late); worker B takes over; A recovers. */
async function loseTheDatabase(t: TestContext, mode: 'cut' | 'stall'): Promise<void> {
  const schema = freshSchema(`engine_${mode}`);
  t.after(() => dropSchemas([schema]));
  const proxy = await startProxy(t, new URL(POSTGRES_URL));
  const executions: Execution[] = [];
  const aLog: string[] = [];
  const open = async (url: string): Promise<Store> => {
    const store = await createPostgresStore({ url, schema, poolSize: 4, connectTimeoutMs: 1000, maxReconnectDelayMs: 1000, idleInTransactionTimeoutMs: 1500 });
    t.after(() => store.close());
    return store;
  };
  const start = async (store: Store, worker: string, logger?: Logger): Promise<Engine> => {
    const engine = await createEngine({
      store,
      workflows: [cutFlow(worker, executions)],
      slots: 6,
      leaseMs: 1000,
      pollIntervalMs: 100,
      workerId: worker,
      ...(logger ? { logger } : {}),
    });
    t.after(() => engine.close());
    return engine;
  };

  const direct = await open(POSTGRES_URL);
  const api = await createEngine({ store: direct, slots: 0, workflows: [cutFlow('api', executions)] });
  t.after(() => api.close());
  await start(await open(proxy.url), 'A', recordingLogger(aLog));

  const first = [1, 2, 3, 4, 5, 6].map((n) => `first-${n}`);
  await api.instances.createBatch({ workflow: 'cut-flow', items: first.map((id, n) => ({ id, params: { n } })) });
  // Cut A off once every instance recorded its first step, so that its second steps are in flight.
  await waitFor('A to finish the first steps', 30_000, async () => {
    const all = await Promise.all(first.map((id) => api.instances.get({ workflow: 'cut-flow', id })));
    return all.every((i) => i.steps.some((s) => s.status === 'complete'));
  });
  const cutAt = Date.now();
  if (mode === 'cut') proxy.cut();
  else proxy.stall();
  const b = await start(direct, 'B');

  // B finishes the instances; A has been cut off the whole time.
  for (const id of first) assert.equal((await api.instances.waitForStatus({ workflow: 'cut-flow', id }, { timeoutMs: 30_000 })).status, 'complete');
  assert.ok(Date.now() - cutAt > 1000, 'the outage outlasted a lease');
  const restoredAt = Date.now();
  // A stalled connection now delivers what A sent while it hung: fencing must refuse those writes.
  proxy.restore();
  await b.close();

  // A reconnects by itself and takes new work.
  const second = [7, 8].map((n) => `second-${n}`);
  await api.instances.createBatch({ workflow: 'cut-flow', items: second.map((id, n) => ({ id, params: { n: n + 7 } })) });
  for (const id of second) assert.equal((await api.instances.waitForStatus({ workflow: 'cut-flow', id }, { timeoutMs: 30_000 })).status, 'complete');
  assert.ok(
    executions.some((e) => e.worker === 'A' && e.start > restoredAt),
    'A ran steps after the connection came back',
  );

  // A stopped every step it had in flight when it lost the database, before B started that step.
  const inFlight = executions.filter((e) => e.worker === 'A' && e.start < cutAt && (e.end === 0 || e.end > cutAt));
  assert.ok(inFlight.length > 0, 'A had steps in flight at the cut');
  for (const e of inFlight) {
    assert.equal(e.aborted, true, `A's step ${e.instanceId}/${e.step} saw its signal abort`);
    const replay = executions.find((x) => x.worker === 'B' && x.instanceId === e.instanceId && x.step === e.step);
    assert.ok(replay, `B replayed ${e.instanceId}/${e.step}`);
    assert.ok(e.end <= replay.start, `A stopped ${e.instanceId}/${e.step} (at ${e.end - cutAt} ms) before B started it (at ${replay.start - cutAt} ms)`);
  }
  assert.equal(executions.filter((e) => e.worker === 'A' && e.start > cutAt && e.start < restoredAt).length, 0, 'A started nothing while cut off');

  // Every instance has the right output, and every step result was written exactly once.
  const events = await api.outbox.read({ afterSeq: 0, limit: 10_000 });
  const params = new Map([...first.map((id, n) => [id, n] as const), ...second.map((id, n) => [id, n + 7] as const)]);
  for (const [id, n] of params) {
    const done = await api.instances.get({ workflow: 'cut-flow', id });
    assert.deepEqual(done.output, [0, 1, 2].map((i) => n * 10 + i));
    for (const step of done.steps) {
      const written = events.filter((e) => e.instanceId === id && e.kind === 'step_completed' && (e.payload.step as { name: string }).name === step.name);
      assert.equal(written.length, 1, `${id}/${step.name} recorded once`);
    }
  }
  if (mode === 'cut') {
    assert.ok(aLog.includes('engine: the store is unreachable; claiming paused, retrying with backoff'), `A said it lost the store: ${aLog.join(' | ')}`);
    assert.ok(aLog.includes('engine: the store is reachable again; claiming resumed'), 'A said it got the store back');
  } else {
    assert.ok(aLog.includes('engine: lease renewal is not answering'), `A noticed the hanging store: ${aLog.join(' | ')}`);
  }
}

test('a worker whose database connections are cut stops in time, reconnects with backoff, and nothing is lost or recorded twice', { skip, timeout: 120_000 }, (t) =>
  loseTheDatabase(t, 'cut'),
);

test('a worker whose database connections hang stops in time; its late writes are refused when they arrive', { skip, timeout: 120_000 }, (t) => loseTheDatabase(t, 'stall'));
