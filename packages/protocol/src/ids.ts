// Prefixed, time-ordered unique ids: `<prefix>_<ULID>`. A ULID is 48 bits of milliseconds plus 80
// random bits in Crockford base32, so ids sort by creation time as plain strings; within one process
// the factory is monotonic, so ids made in the same millisecond still sort in creation order.
import { monotonicFactory, ulid } from 'ulid';

/** Every id prefix Petrel issues, by entity. Skyvern's prefixes are kept where Skyvern has the entity. */
export const ID_PREFIXES = {
  organization: 'o',
  apiKey: 'oat',
  task: 'tsk',
  taskV2: 'tsk_v2',
  step: 'stp',
  action: 'act',
  artifact: 'a',
  workflow: 'w',
  workflowPermanent: 'wpid',
  workflowRun: 'wr',
  workflowRunBlock: 'wrb',
  workflowParameter: 'wp',
  outputParameter: 'op',
  credential: 'cred',
  browserSession: 'pbs',
  browserProfile: 'bp',
  totpCode: 'totp',
  schedule: 'wfs',
  folder: 'fld',
  file: 'file',
  webhookDelivery: 'whd',
  engineWorkflow: 'wf',
  engineVersion: 'wfv',
  engineInstance: 'wfi',
  outboxEvent: 'evt',
  worker: 'wkr',
  request: 'req',
} as const;

/** An entity that has an id prefix. */
export type IdKind = keyof typeof ID_PREFIXES;

const nextUlid = monotonicFactory();

/**
 * Returns a new id of the given kind, e.g. `newId('workflowRun')` → `wr_01JDA…`. With `at`, the id
 * encodes that time instead of now (and is not part of the process's monotonic sequence).
 */
export function newId(kind: IdKind, at?: number): string {
  return `${ID_PREFIXES[kind]}_${at === undefined ? nextUlid() : ulid(at)}`;
}

const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** True when `value` is an id of `kind` as issued by `newId` (prefix and ULID shape both checked). */
export function isId(kind: IdKind, value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const prefix = `${ID_PREFIXES[kind]}_`;
  return value.startsWith(prefix) && ULID_PATTERN.test(value.slice(prefix.length));
}

/** The creation time encoded in an id made by `newId`, or `undefined` when it is not one. */
export function findIdTime(value: string): Date | undefined {
  const body = value.slice(value.lastIndexOf('_') + 1);
  if (!ULID_PATTERN.test(body)) return undefined;
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let ms = 0;
  for (const char of body.slice(0, 10)) ms = ms * 32 + alphabet.indexOf(char);
  return new Date(ms);
}
