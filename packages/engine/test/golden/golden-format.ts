// The format of a golden history file.
import type { InstanceSnapshot } from '@petrel/engine';

/** One recorded instance, what to do after loading it, and what must come out. */
export type GoldenHistory = {
  /** The engine version that recorded the file. */
  recordedBy: string;
  scenario: string;
  description: string;
  workflow: string;
  versionKey: string;
  snapshot: InstanceSnapshot;
  /** Events to send once the history is loaded. */
  events: Array<{ type: string; payload: unknown }>;
  expected: {
    status: string;
    output: unknown;
    error: unknown;
    rollback: unknown;
    /** Step records (type and display name) of the finished instance, in start order. */
    steps: string[];
    /** Step executions the replay may perform (everything else was recorded and must not run again). */
    executions: string[];
  };
};
