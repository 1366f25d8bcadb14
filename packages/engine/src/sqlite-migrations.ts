// Versioned migrations of the engine's SQLite tables. Every engine table is prefixed `engine_` and
// the applied versions are kept in `engine_migrations`, so the server can keep its own tables and
// migrations in the same file. Append new migrations; never edit an applied one.
import type { EngineMigration } from './store-rows.ts';

/** The engine's migrations, in order. */
export const SQLITE_MIGRATIONS: readonly EngineMigration[] = [
  {
    version: 1,
    name: 'engine tables',
    sql: `
CREATE TABLE engine_workflows (
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  modified_at INTEGER NOT NULL,
  current_version_id TEXT,
  class_name TEXT,
  concurrency INTEGER,
  schedules TEXT NOT NULL DEFAULT '[]',
  retention TEXT,
  step_limit INTEGER,
  PRIMARY KEY (namespace, name)
);

CREATE TABLE engine_versions (
  id TEXT PRIMARY KEY,
  namespace TEXT NOT NULL,
  workflow_name TEXT NOT NULL,
  version_key TEXT NOT NULL,
  class_name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  graph TEXT,
  UNIQUE (namespace, workflow_name, version_key)
);
CREATE INDEX engine_versions_by_workflow ON engine_versions (namespace, workflow_name, created_at);

CREATE TABLE engine_instances (
  pk INTEGER PRIMARY KEY,
  namespace TEXT NOT NULL,
  workflow_name TEXT NOT NULL,
  id TEXT NOT NULL,
  version_id TEXT NOT NULL,
  status TEXT NOT NULL,
  params TEXT NOT NULL,
  output TEXT,
  error TEXT,
  trigger_source TEXT NOT NULL,
  schedule TEXT,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  modified_at INTEGER NOT NULL,
  due_at INTEGER,
  lease_owner TEXT,
  epoch INTEGER NOT NULL DEFAULT 0,
  paused_at INTEGER,
  rollback TEXT,
  rollback_cause TEXT,
  pending_error TEXT,
  retention TEXT,
  purge_at INTEGER,
  status_reason TEXT,
  waiting_for TEXT,
  parent TEXT,
  UNIQUE (namespace, workflow_name, id)
);
CREATE INDEX engine_instances_due ON engine_instances (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX engine_instances_by_created ON engine_instances (namespace, workflow_name, created_at, id);
CREATE INDEX engine_instances_by_status ON engine_instances (namespace, workflow_name, status);
CREATE INDEX engine_instances_purge ON engine_instances (purge_at) WHERE purge_at IS NOT NULL;
CREATE INDEX engine_instances_by_owner ON engine_instances (lease_owner) WHERE lease_owner IS NOT NULL;

CREATE TABLE engine_steps (
  instance_pk INTEGER NOT NULL,
  key TEXT NOT NULL,
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  count INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  status TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  output TEXT,
  error TEXT,
  config TEXT,
  attempts TEXT NOT NULL,
  wake_at INTEGER,
  event_type TEXT,
  sensitive INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (instance_pk, key)
) WITHOUT ROWID;

CREATE TABLE engine_events (
  id INTEGER PRIMARY KEY,
  instance_pk INTEGER NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  consumed_by TEXT
);
CREATE INDEX engine_events_by_instance ON engine_events (instance_pk, type, id);

CREATE TABLE engine_outbox (
  seq INTEGER PRIMARY KEY,
  namespace TEXT NOT NULL,
  workflow_name TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE engine_outbox_cursors (
  consumer TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE engine_cron_state (
  namespace TEXT NOT NULL,
  workflow_name TEXT NOT NULL,
  cron TEXT NOT NULL,
  last_scheduled_at INTEGER NOT NULL,
  PRIMARY KEY (namespace, workflow_name, cron)
);
`,
  },
];
