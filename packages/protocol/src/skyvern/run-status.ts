// Skyvern's run statuses as a view over an engine instance: the one place where an instance status
// (Cloudflare's nine) and a run's own outcome become `created … canceled`. The server, the agent and
// the SDK all call this, so they cannot disagree.
import type { InstanceStatus, RunStatus } from '../status.ts';

/** How a run that finished its work ended, as the run itself recorded it (the workflow's output). */
export type RunOutcomeStatus = 'completed' | 'failed' | 'terminated' | 'timed_out' | 'canceled';

/** What `toRunStatus` looks at. */
export type RunStatusInput = {
  /** The engine instance's status. */
  instanceStatus: InstanceStatus;
  /** The run's recorded outcome, when the instance completed with one. */
  outcomeStatus?: RunOutcomeStatus | null;
  /** The run is suspended waiting for a person (a 2FA code, an approval): shown as `paused`. */
  waitingForHuman?: boolean;
  /** The instance was created but no worker has picked it up yet and it was never started: `created`. */
  neverStarted?: boolean;
};

/**
 * The Skyvern run status of an instance:
 * - `queued` → `queued` (`created` when asked to show a just-created run that was never started);
 * - `running`, `waitingForPause`, `rollingBack` → `running`; `waiting` → `running`, or `paused` when
 *   the run waits for a person; `paused` → `paused`;
 * - `complete` → the run's outcome (`completed` when it recorded none); `errored` → `failed`;
 *   `terminated` → `canceled` (terminated by a user, not by the model).
 */
export function toRunStatus(input: RunStatusInput): RunStatus {
  switch (input.instanceStatus) {
    case 'queued':
      return input.neverStarted === true ? 'created' : 'queued';
    case 'running':
    case 'waitingForPause':
    case 'rollingBack':
      return 'running';
    case 'waiting':
      return input.waitingForHuman === true ? 'paused' : 'running';
    case 'paused':
      return 'paused';
    case 'complete':
      return input.outcomeStatus ?? 'completed';
    case 'errored':
      return 'failed';
    case 'terminated':
      return 'canceled';
    default: {
      const unknown: never = input.instanceStatus;
      throw new Error(`toRunStatus: unknown instance status ${String(unknown)}`);
    }
  }
}
