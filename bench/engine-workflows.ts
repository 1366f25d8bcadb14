// The benchmark's workloads, shared by the benchmark process and its worker processes (the same
// code gives the same version id in every process).
import { defineWorkflow } from '@petrel/engine';

/** `steps` trivial steps: `step.do(name, () => i)`. */
export const trivialFlow = defineWorkflow<{ steps: number }>({
  name: 'trivial',
  versionKey: 'bench-trivial-v1',
  async run(event, step) {
    let sum = 0;
    for (let i = 0; i < event.payload.steps; i++) sum += await step.do(`s${i}`, async () => i);
    return sum;
  },
});
