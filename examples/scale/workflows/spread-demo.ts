// The workflow of the scale-out example: each instance runs a few slow steps and a durable sleep,
// and records which worker process ran each step, so you can watch work spread over workers.
//
//   npx petrel serve --slots 0                                     (the API; prints a key on its first start)
//   npx petrel worker --workflows examples/scale/workflows         (in two or more terminals)
//   PETREL_API_KEY=pk_… node examples/scale/create-instances.ts 40  (in another one)
//
// The engine's own worker runs it too, with no server around it:
//   npm run worker:engine -- --workflows examples/scale/workflows/spread-demo.ts
import { hostname } from 'node:os';
import { defineWorkflow } from '@petrel/engine';

/** Which process ran a step: host and pid. */
function here(): string {
  return `${hostname()}:${process.pid}`;
}

export const spreadDemo = defineWorkflow<{ steps?: number }>({
  name: 'spread-demo',
  async run(event, step) {
    const ranOn: string[] = [];
    const steps = event.payload.steps ?? 4;
    for (let i = 0; i < steps; i++) {
      ranOn.push(
        await step.do(`work ${i}`, async () => {
          await new Promise((resolve) => setTimeout(resolve, 150));
          return here();
        }),
      );
      // A durable sleep: the instance leaves its worker, and any worker may pick it up afterwards.
      if (i === 1) await step.sleep('breathe', '2 seconds');
    }
    return { ranOn };
  },
});
