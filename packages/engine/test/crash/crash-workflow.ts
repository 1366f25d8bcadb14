// The workflow the crash test runs: many steps (some slow enough to leave "started" records), sleeps
// that suspend, an event, parallel steps and a flaky step. Every step appends a line to an effects
// log, so the harness can count how often side effects ran (at least once) against how often
// results were recorded (exactly once). `expectedOutput` is what a correct run returns. A cron
// workflow fires every few seconds on every worker at once, to check one instance per due time.
import { appendFileSync } from 'node:fs';
import { defineWorkflow } from '@petrel/engine';

/** Parameters of one crash-test instance. */
export type CrashParams = { k: number; steps: number };

/** What a correct run of `params` returns, given the payload of its `go` event. */
export function expectedOutput(params: CrashParams, go: number): { acc: number; go: number; parallel: number[]; flaky: string } {
  let acc = 0;
  for (let i = 0; i < params.steps; i++) acc += i * params.k;
  return { acc, go, parallel: [params.k + 1, params.k + 2], flaky: 'ok on attempt 3' };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The crash-test workflow; side effects are logged to `effectsFile`. */
export function crashWorkflow(effectsFile: string) {
  const effect = (instanceId: string, step: string, attempt: number): void => {
    appendFileSync(effectsFile, `${instanceId}\t${step}\t${attempt}\n`);
  };
  return defineWorkflow<CrashParams>({
    name: 'crash-flow',
    async run(event, step) {
      let acc = 0;
      for (let i = 0; i < event.payload.steps; i++) {
        acc += await step.do(`add ${i}`, async (ctx) => {
          effect(event.instanceId, `add ${i}`, ctx.attempt);
          // Some steps outlive the started marker, so kills leave dangling attempts to recover.
          if (i % 4 === 1) await pause(20 + ((i * 7 + event.payload.k) % 40));
          return i * event.payload.k;
        });
        if (i % 6 === 5) await step.sleep(`nap ${i}`, 150 + ((i * 37) % 300));
      }
      const go = await step.waitForEvent<number>('go', { type: 'go', timeout: '1 hour' });
      const parallel = await Promise.all(
        [1, 2].map((n) =>
          step.do(`parallel ${n}`, async (ctx) => {
            effect(event.instanceId, `parallel ${n}`, ctx.attempt);
            await pause(5 * n);
            return event.payload.k + n;
          }),
        ),
      );
      const flaky = await step.do('flaky', { retries: { limit: 20, delay: 15, backoff: 'constant' } }, async (ctx) => {
        effect(event.instanceId, 'flaky', ctx.attempt);
        // Counts attempts of this invocation's history, so crashes do not change the outcome's shape.
        if (ctx.attempt < 3) throw new Error(`flaky attempt ${ctx.attempt}`);
        return 'ok on attempt 3';
      });
      return { acc, go: go.payload, parallel, flaky };
    },
  });
}

/** A cron workflow: every firing records its scheduled time in one step, so the harness can count firings per due time. */
export function crashCronWorkflow(schedule: string) {
  return defineWorkflow({
    name: 'crash-cron',
    schedules: [schedule],
    async run(event, step) {
      return step.do('fired', async () => event.schedule?.scheduledTime ?? null);
    },
  });
}
