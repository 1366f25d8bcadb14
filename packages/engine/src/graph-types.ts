// The step graph of a workflow version, in Cloudflare Workflows' `VersionGraphResponse.graph` shape.

/** A duration as the graph shows it: milliseconds, or the source text (`"10 seconds"`, an expression). */
export type GraphDuration = number | string;

/** Shape of a JSON payload as far as static analysis can tell. */
export type JsonShape = { type: 'unknown' } | { type: 'object'; fields: Record<string, JsonShape> };

/** A node of the step graph. */
export type GraphNode =
  | { type: 'step_do'; name: string; config: { retries: { limit: number; delay: GraphDuration; backoff: string }; timeout: GraphDuration }; nodes: GraphNode[] }
  | { type: 'step_sleep'; name: string; duration: GraphDuration }
  | { type: 'step_sleep_until'; name: string; timestamp: string }
  | { type: 'step_wait_for_event'; name: string; options: { event_type: string; timeout: GraphDuration } | null }
  | { type: 'loop'; nodes: GraphNode[] }
  | { type: 'parallel'; kind: 'all' | 'any' | 'all_settled' | 'race'; nodes: GraphNode[] }
  | { type: 'try'; try_block: GraphBlock | null; catch_block: GraphBlock | null; finally_block: GraphBlock | null }
  | GraphBlock
  | { type: 'if'; branches: Array<{ condition: string | null; nodes: GraphNode[] }> }
  | { type: 'switch'; discriminant: string; branches: Array<{ condition: string | null; nodes: GraphNode[] }> }
  | { type: 'function_call'; name: string }
  | { type: 'break'; kind: 'break' | 'return' };

/** A block of nodes. */
export type GraphBlock = { type: 'block'; nodes: GraphNode[] };

/** A helper function of the workflow that contains steps. */
export type GraphFunction = { type: 'function_def'; name: string; nodes: GraphNode[] };

/** The graph of one workflow version. */
export type WorkflowGraph = {
  version: 1;
  workflow: { class_name: string; functions: Record<string, GraphFunction>; nodes: GraphNode[]; payload?: JsonShape };
};
