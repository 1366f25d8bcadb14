// The Store contract on the PostgreSQL adapter, each test in a fresh schema (dropped at the end).
// Skipped with a reason when PostgreSQL is not reachable (never under CI=true).
import { after } from 'node:test';
import { createPostgresStore } from '@petrel/engine';
import { runStoreContract } from '../contract/store-contract.ts';
import { POSTGRES_URL, dropSchemas, freshSchema, postgresSkipReason } from '@petrel/testing';

const skip = await postgresSkipReason();
const schemas: string[] = [];
after(() => dropSchemas(schemas));

runStoreContract(
  'postgres (schema per test)',
  () => {
    const schema = freshSchema('engine_contract');
    schemas.push(schema);
    return createPostgresStore({ url: POSTGRES_URL, schema, poolSize: 4 });
  },
  skip === undefined ? {} : { skip },
);
