// Lifecycle event kinds of the outbox, named like Cloudflare Workflows' instance subscription events.
// Every kind is written in the same transaction as the state change it describes.

/** Every outbox event kind. */
export const OUTBOX_EVENT_KINDS = [
  'workflow_queued',
  'workflow_started',
  'workflow_running',
  'workflow_waiting',
  'workflow_waiting_for_pause',
  'workflow_paused',
  'workflow_resumed',
  'workflow_completed',
  'workflow_errored',
  'workflow_terminated',
  'workflow_restarted',
  'step_started',
  'step_completed',
  'step_errored',
  'attempt_started',
  'attempt_errored',
  'sleep_started',
  'sleep_completed',
  'wait_started',
  'wait_completed',
  'wait_timed_out',
  'event_received',
  'rollback_started',
  'rollback_step_started',
  'rollback_step_completed',
  'rollback_step_errored',
  'rollback_completed',
  'rollback_errored',
] as const;

/** A kind of outbox event. */
export type OutboxEventKind = (typeof OUTBOX_EVENT_KINDS)[number];
