// Waking the runs a pushed 2FA code is for. A run that needs a code for its `totp_identifier` waits
// durably for the agent's `TOTP_EVENT_TYPE` event (no polling); when a code is pushed for that
// identifier, every unfinished run of the organization that may wait on it gets the event (the
// code itself is read through the agent's `PushedTotpSource`, never sent in the event). A run that
// is not waiting yet keeps the event buffered and finds the code when it asks. Best effort: a run
// that ended meanwhile is skipped, and a failure is logged, never failing the push.
import { TOTP_EVENT_TYPE } from '@petrel/agent';
import type { Engine } from '@petrel/engine';
import type { Logger, TotpCode } from '@petrel/protocol';
import type { RunService } from '../runs/run-service.ts';
import type { RunRow } from '../store/run-store.ts';

/** Sends `TOTP_EVENT_TYPE` to the runs waiting for `code`'s identifier (and to the run the push names); returns the run ids woken. */
export async function wakeRunsForTotp(input: { engine: Engine | undefined; runs: RunService; logger: Logger; code: TotpCode }): Promise<string[]> {
  const { engine, runs, logger, code } = input;
  if (engine === undefined) return [];
  const organizationId = code.organization_id;
  const rows: RunRow[] = [];
  try {
    rows.push(...(await runs.listWaitingForTotp(organizationId, code.totp_identifier)));
    for (const named of [code.task_id, code.workflow_run_id]) {
      if (named === null || rows.some((row) => row.run_id === named)) continue;
      const row = await runs.find(organizationId, named);
      if (row !== undefined) rows.push(row);
    }
  } catch (error) {
    logger.warn({ err: error }, 'credentials.totp: could not look up the runs waiting for this code');
    return [];
  }
  const woken: string[] = [];
  for (const row of rows) {
    try {
      await engine.instances.sendEvent({ namespace: organizationId, workflow: row.engine_workflow, id: row.engine_instance_id, type: TOTP_EVENT_TYPE, payload: { totp_identifier: code.totp_identifier } });
      woken.push(row.run_id);
    } catch (error) {
      // Finished meanwhile (its snapshot was behind), or purged: nothing waits there.
      logger.debug({ err: error, run_id: row.run_id }, 'credentials.totp: a run could not be woken');
    }
  }
  return woken;
}
