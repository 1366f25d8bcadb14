// The Store contract on the SQLite adapter, each test on a fresh database file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { createSqliteStore } from '@petrel/engine';
import { runStoreContract } from '../contract/store-contract.ts';

const root = mkdtempSync(join(tmpdir(), 'petrel-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

runStoreContract('sqlite (file, WAL)', () => createSqliteStore({ dataDir: join(root, `db${n++}`) }));
