// Prefixed, time-ordered unique ids: `<prefix>_<ULID>`. A ULID is 48 bits of milliseconds plus 80
// random bits in Crockford base32, so ids sort by creation time as plain strings; within one process
// the factory is monotonic, so ids made in the same millisecond still sort in creation order.
import { createHash } from 'node:crypto';
import { encodeTime, monotonicFactory, ulid } from 'ulid';

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

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The id of `kind` that `key` always gives for the time `at`: a ULID whose time part is `at` and
 * whose 80 "random" bits come from a SHA-256 of `key`. Callers that must agree on one id without
 * talking to each other (every process firing the same schedule at the same due time, or one
 * process trying again after a crash) derive it instead of drawing it.
 */
export function derivedId(kind: IdKind, at: number, key: string): string {
  const digest = createHash('sha256').update(key).digest();
  let tail = '';
  for (let i = 0; i < 16; i++) tail += CROCKFORD[(digest[i] as number) & 31];
  return `${ID_PREFIXES[kind]}_${encodeTime(at, 10)}${tail}`;
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
  let ms = 0;
  for (const char of body.slice(0, 10)) ms = ms * 32 + CROCKFORD.indexOf(char);
  return new Date(ms);
}
