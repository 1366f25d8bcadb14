// @petrel/testing: what tests, examples and benchmarks share to run Petrel for real — the portal
// policy (the fake model's "brain" for the fixture portal), the task stage (portal + fake model), the
// PostgreSQL test-schema helpers, s3rver and an SMTP server on loopback. Private; no package's src/ may import it.
export { portalPolicy } from './portal-policy.ts';
export type { PortalPolicyOptions, PolicyLogEntry } from './portal-policy.ts';
export { parsePrompt, pageElements, pageOf, promptSection, findElement, credentialIn, ordersOnPage, lastMonth } from './portal-prompt.ts';
export type { ParsedPrompt, PageElement, PortalOrder } from './portal-prompt.ts';
export { startTaskStage } from './task-stage.ts';
export type { TaskStage, TaskStageOptions } from './task-stage.ts';
export { POSTGRES_URL, postgresSkipReason, freshSchema, dropSchemas, createTestSchema } from './postgres.ts';
export type { TestSchema } from './postgres.ts';
export { startLocalS3 } from './local-s3.ts';
export type { LocalS3 } from './local-s3.ts';
export { startTestSmtpServer, attachmentBytes } from './local-smtp.ts';
export type { TestSmtpServer, ReceivedMail } from './local-smtp.ts';
