// Pure parts of the interpreter: loop values, Skyvern's bare data_schema maps, version keys, the
// human_interaction token and links, persisted-state keys, run outputs, the executor registry, and
// the timeline built from a synthetic step history (loops as children, a running loop, a running block).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  blockStepName,
  blockWorkflowVersionKey,
  buildRunTimeline,
  createBlockExecutorRegistry,
  createDefaultBlockExecutors,
  humanInteractionLinks,
  humanInteractionToken,
  normalizeDataSchema,
  normalizeLoopValues,
  parseWorkflowDefinition,
  persistedStateKey,
  runOutputOf,
  verifyHumanInteractionToken,
  workflowIdOfVersionKey,
} from '@petrel/blocks';
import type { BlockRecord } from '@petrel/blocks';
import type { InstanceDetails, StepInfo } from '@petrel/engine';

function record(label: string, loops: Array<{ label: string; index: number; value: unknown }>, fields: Partial<BlockRecord> = {}): BlockRecord {
  return {
    kind: 'petrel.block',
    label,
    blockType: 'code',
    stepName: blockStepName(label, loops),
    status: 'completed',
    output: { label },
    failureReason: null,
    errorCodes: [],
    startedAt: '2026-07-01T00:00:00.000Z',
    finishedAt: '2026-07-01T00:00:01.500Z',
    continueOnFailure: false,
    loops,
    downloadedFiles: [],
    stepCount: 0,
    screenshotArtifactIds: [],
    timeline: {},
    ...fields,
  };
}

function step(name: string, output: unknown, status: StepInfo['status'] = 'complete', type: StepInfo['type'] = 'do'): StepInfo {
  return {
    type,
    name,
    count: 1,
    displayName: `${name}-1`,
    status,
    startedAt: new Date('2026-07-01T00:00:00Z'),
    endedAt: null,
    success: status === 'complete',
    output,
    error: null,
    config: null,
    attempts: [],
    wakeAt: null,
    eventType: null,
    sensitive: false,
  };
}

function details(steps: StepInfo[], status: InstanceDetails['status'] = 'running'): InstanceDetails {
  return {
    id: 'wr_01JTESTRUN00000000000000',
    namespace: 'org',
    workflowName: 'wpid_x',
    status,
    versionId: 'v',
    triggerSource: 'api',
    createdAt: new Date('2026-07-01T00:00:00Z'),
    startedAt: null,
    endedAt: null,
    modifiedAt: new Date('2026-07-01T00:00:00Z'),
    params: {},
    output: null,
    error: null,
    schedule: null,
    rollback: null,
    statusReason: null,
    pausedAt: null,
    stepCount: steps.length,
    steps,
  };
}

describe('interpreter helpers', () => {
  it('loop values: lists, JSON text, Skyvern output shapes; objects without a list are refused', () => {
    assert.deepEqual(normalizeLoopValues('l', [1, 2]), [1, 2]);
    assert.deepEqual(normalizeLoopValues('l', '["a","b"]'), ['a', 'b']);
    assert.deepEqual(normalizeLoopValues('l', ''), []);
    assert.deepEqual(normalizeLoopValues('l', null), []);
    assert.deepEqual(normalizeLoopValues('l', { extracted_information: { results: [3] } }), [3]);
    assert.deepEqual(normalizeLoopValues('l', { orders: [{ id: 1 }], count: 1 }), [{ id: 1 }]);
    assert.deepEqual(normalizeLoopValues('l', 7), [7]);
    assert.throws(() => normalizeLoopValues('l', { a: 1, b: 2 }), /must give a list, got an object with keys a, b/);
    assert.throws(() => normalizeLoopValues('l', 'not json'), /not a list/);
  });

  it('a bare properties map becomes an object schema; real schemas and descriptions stay', () => {
    assert.deepEqual(normalizeDataSchema({ jobs: { type: 'array' } }), { type: 'object', properties: { jobs: { type: 'array' } } });
    assert.deepEqual(normalizeDataSchema({ type: 'object', properties: {} }), { type: 'object', properties: {} });
    assert.equal(normalizeDataSchema('the orders'), 'the orders');
    assert.deepEqual(normalizeDataSchema({ example: 'value' }), { example: 'value' });
  });

  it('version keys name the w_ version and change with the definition', () => {
    const { definition } = parseWorkflowDefinition({ title: 't', workflow_definition: { parameters: [], blocks: [{ block_type: 'wait', label: 'w', wait_sec: 1 }] } });
    const key = blockWorkflowVersionKey('w_01JTEST', definition);
    assert.match(key, /^petrel-blocks-1:w_01JTEST:[0-9a-f]{24}$/);
    assert.equal(workflowIdOfVersionKey(key), 'w_01JTEST');
    assert.equal(workflowIdOfVersionKey('sha256:abc'), undefined);
    const changed = parseWorkflowDefinition({ title: 't', workflow_definition: { parameters: [], blocks: [{ block_type: 'wait', label: 'w', wait_sec: 2 }] } }).definition;
    assert.notEqual(blockWorkflowVersionKey('w_01JTEST', changed), key);
  });

  it('human_interaction tokens bind the organization, run and label', () => {
    const token = humanInteractionToken('secret', 'org', 'wr_1', 'approve');
    assert.equal(token.length, 43);
    assert.ok(verifyHumanInteractionToken('secret', 'org', 'wr_1', 'approve', token));
    assert.ok(!verifyHumanInteractionToken('secret', 'org', 'wr_2', 'approve', token));
    assert.ok(!verifyHumanInteractionToken('secret', 'other', 'wr_1', 'approve', token));
    assert.ok(!verifyHumanInteractionToken('other-secret', 'org', 'wr_1', 'approve', token));
    assert.ok(!verifyHumanInteractionToken('secret', 'org', 'wr_1', 'approve', 'short'));
    const links = humanInteractionLinks('https://petrel.example/', 'org', 'wr_1', 'approve', token);
    assert.equal(links.approveUrl, `https://petrel.example/v1/runs/wr_1/human_interaction/approve?ns=org&decision=approve&token=${token}`);
    assert.match(links.rejectUrl, /decision=reject/);
  });

  it('persisted state keys are per workflow and end user, safe for any user id', () => {
    assert.equal(persistedStateKey('o_1', 'wpid_1', null), 'browser-state/o_1/wpid_1/_default.json');
    assert.equal(persistedStateKey('o_1', 'wpid_1', 'alice'), 'browser-state/o_1/wpid_1/alice.json');
    assert.match(persistedStateKey('o_1', 'wpid_1', 'bob@example.com/../x'), /^browser-state\/o_1\/wpid_1\/h-[0-9a-f]{40}\.json$/);
  });

  it('the run output: <label>_output per block and every extracted_information', () => {
    const output = runOutputOf([
      record('a', [], { output: { extracted_information: { n: 1 } } }),
      record('b', [], { output: { extracted_information: [{ n: 2 }, { n: 3 }] } }),
      record('c', [], { output: 'text' }),
    ]);
    assert.deepEqual(output, {
      a_output: { extracted_information: { n: 1 } },
      b_output: { extracted_information: [{ n: 2 }, { n: 3 }] },
      c_output: 'text',
      extracted_information: [{ n: 1 }, { n: 2 }, { n: 3 }],
    });
  });

  it('the registry maps block types to step and durable executors', () => {
    const registry = createBlockExecutorRegistry().register('terminate', async () => ({ status: 'terminated', output: null }));
    assert.equal(registry.find('terminate')?.kind, 'step');
    assert.equal(registry.find('wait'), undefined);
    const defaults = createDefaultBlockExecutors();
    assert.equal(defaults.find('login')?.kind, 'durable');
    assert.equal(defaults.find('http_request')?.kind, 'step');
    assert.equal(defaults.find('google_sheets_read'), undefined);
    assert.equal(defaults.find('for_loop'), undefined, 'control flow is the interpreter’s');
  });

  it('the timeline: iterations under their loop, a loop still iterating and a block still running', () => {
    const loopA = { label: 'each', index: 0, value: 'x' };
    const loopB = { label: 'each', index: 1, value: 'y' };
    const steps = [
      step('run:setup', {}),
      step('block:first', record('first', [])),
      step('block:each/values', { values: ['x', 'y'] }),
      step('block:each[0]:inner', record('inner', [loopA])),
      step('block:each[1]:inner', record('inner', [loopB], { status: 'failed', failureReason: 'boom' })),
      step('block:each', record('each', [], { blockType: 'for_loop', loopValues: ['x', 'y'] })),
      step('block:again/values', { values: [1] }),
      step('block:again[0]:inner', record('inner', [{ label: 'again', index: 0, value: 1 }])),
      step('block:again[0]:login/start', {}),
      step('block:again[0]:login/agent-step-1', {}, 'running'),
    ];
    const timeline = buildRunTimeline(details(steps));
    const lines = (nodes: typeof timeline, depth = 0): string[] =>
      nodes.flatMap((n) => [`${'  '.repeat(depth)}${n.block?.label} ${n.block?.status} ${n.block?.current_index ?? '-'}`, ...lines(n.children, depth + 1)]);
    assert.deepEqual(lines(timeline), [
      'first completed -',
      'each completed -',
      '  inner completed 0',
      '  inner failed 1',
      'again running -',
      '  inner completed 0',
      '  login running 0',
    ]);
    const each = timeline[1];
    assert.equal(each?.children[1]?.block?.parent_workflow_run_block_id, each?.block?.workflow_run_block_id);
    assert.deepEqual(each?.block?.loop_values, ['x', 'y']);
    assert.equal(each?.children[0]?.block?.duration, 1.5);
    assert.equal(buildRunTimeline(details(steps, 'terminated'))[2]?.block?.status, 'canceled');
  });
});
