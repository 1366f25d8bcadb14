// Routing of one list of blocks (the top level, or a loop body): which block may run after which.
// This is the one place that decides the edges, so that validation, the step graph and the
// interpreter agree.
//
// - A block goes to its `next_block_label`, or, without one, to the next block in list order.
// - A conditional goes to each branch's `next_block_label` (a branch without one falls through to
//   the next block in list order); when it has no default branch, "no branch matched" goes where a
//   plain block would go.
// - The `finally_block_label` block is not part of the flow: it runs once at the end, so it is
//   skipped by fall-through and has no edges.
// - The flow starts at the first block of the list (the finally block excluded).
import type { Block, ConditionalBlock } from '@petrel/protocol';

/** The edges of one list of blocks. */
export type BlockRouting = {
  /** The blocks that take part in the flow, in list order (the finally block excluded). */
  flow: readonly Block[];
  /** The first block to run, if any. */
  entry: string | undefined;
  /** Where each block may go next, by label; unknown target labels are left out. */
  successors: ReadonlyMap<string, readonly string[]>;
  /** True when the list uses graph routing (a conditional or a `next_block_label`). */
  isGraph: boolean;
};

/** True when a list of blocks uses graph routing (any conditional or `next_block_label`). */
export function usesGraphRouting(blocks: readonly Block[]): boolean {
  return blocks.some((block) => block.block_type === 'conditional' || (block.next_block_label ?? '') !== '');
}

/** Where "no branch matched" goes for a conditional without a default branch (undefined: nowhere). */
export function conditionalFallbackTarget(block: ConditionalBlock, fallThrough: string | undefined): string | undefined {
  if (block.branch_conditions.some((branch) => branch.is_default)) return undefined;
  return nonEmpty(block.next_block_label) ?? fallThrough;
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}

/** Computes the routing of a list of blocks; `finallyLabel` is excluded from the flow. */
export function routeBlocks(blocks: readonly Block[], finallyLabel?: string | null): BlockRouting {
  const flow = blocks.filter((block) => block.label !== finallyLabel);
  const labels = new Set(flow.map((block) => block.label));
  const successors = new Map<string, string[]>();
  flow.forEach((block, index) => {
    const fallThrough = flow[index + 1]?.label;
    const targets: (string | undefined)[] = [];
    if (block.block_type === 'conditional') {
      for (const branch of block.branch_conditions) targets.push(nonEmpty(branch.next_block_label) ?? fallThrough);
      targets.push(conditionalFallbackTarget(block, fallThrough));
    } else {
      targets.push(nonEmpty(block.next_block_label) ?? fallThrough);
    }
    const known = targets.filter((target): target is string => target !== undefined && labels.has(target));
    successors.set(block.label, [...new Set(known)]);
  });
  return { flow, entry: flow[0]?.label, successors, isGraph: usesGraphRouting(blocks) };
}

/** Labels reachable from `start` by one or more edges. */
export function reachableFrom(routing: BlockRouting, start: string): Set<string> {
  const seen = new Set<string>();
  const queue = [...(routing.successors.get(start) ?? [])];
  while (queue.length > 0) {
    const label = queue.shift() as string;
    if (seen.has(label)) continue;
    seen.add(label);
    queue.push(...(routing.successors.get(label) ?? []));
  }
  return seen;
}

/** Labels the flow can reach from its entry (the entry included). */
export function reachableBlocks(routing: BlockRouting): Set<string> {
  if (routing.entry === undefined) return new Set();
  const reached = reachableFrom(routing, routing.entry);
  reached.add(routing.entry);
  return reached;
}

/** Groups of blocks that form a cycle (strongly connected components with an edge back), in list order. */
export function findCycles(routing: BlockRouting): string[][] {
  // Tarjan's algorithm; lists are small (hundreds of blocks at most).
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;
  const visit = (label: string): void => {
    index.set(label, counter);
    low.set(label, counter);
    counter += 1;
    stack.push(label);
    onStack.add(label);
    for (const next of routing.successors.get(label) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(label, Math.min(low.get(label) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(label, Math.min(low.get(label) as number, index.get(next) as number));
      }
    }
    if (low.get(label) === index.get(label)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== label);
      const selfLoop = component.length === 1 && (routing.successors.get(label) ?? []).includes(label);
      if (component.length > 1 || selfLoop) cycles.push(component);
    }
  };
  for (const block of routing.flow) if (!index.has(block.label)) visit(block.label);
  const order = new Map(routing.flow.map((block, position) => [block.label, position]));
  return cycles.map((cycle) => cycle.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0)));
}
