// @petrel/fixture-portal: a realistic web app served on loopback for tests, examples, demos and
// benchmarks, with seeded deterministic data.
export { startPortal } from './start-portal.ts';
export type { Portal, PortalSessionCookie } from './start-portal.ts';
export type { PortalOptions } from './portal-options.ts';
export { createPortalData, DEMO_USER, LOCKED_USER, DEFAULT_SEED, ORDER_STATUSES, JOB_TYPES } from './portal-data.ts';
export type { PortalData, PortalUser, Order, OrderItem, OrderStatus, Job, JobType, JobQuestion, Report, ReportRow } from './portal-data.ts';
export type {
  PortalSubmissions,
  UploadRecord,
  LoginAttempt,
  AccountFields,
  AccountSave,
  JobApplication,
  WidgetSubmission,
} from './submissions.ts';
export { totpCode } from './totp.ts';
export { filterOrders } from './routes/order-routes.ts';
export { searchJobs } from './routes/job-routes.ts';
export type { OrderFilter } from './routes/order-routes.ts';
export { LOGIN_FAILED_MESSAGE, ACCOUNT_LOCKED_MESSAGE, INVALID_CODE_MESSAGE } from './routes/auth-routes.ts';
