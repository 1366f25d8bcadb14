// The tools the model decides with. Browser tools map 1:1 onto the browser's `BrowserAction` union:
// the tool name is the action type and the input schema is derived from the action's zod schema
// (minus the fields the agent sets itself), with one short description per tool and field. Agent
// tools end or extend the step: `complete`, `terminate`, `extract`, `get_verification_code`.
// Tools are offered per step: tab and dialog tools only when there is a tab or dialog to act on,
// `get_verification_code` only when the run has a way to obtain one. Tool schemas are sent with every
// step, so they are kept small (their tokens count in every prompt).
import { z } from 'zod';
import { browserActionSchema } from '@petrel/browser';
import type { BrowserAction, BrowserActionType, Observation } from '@petrel/browser';
import type { ModelTool, ModelToolCall } from '../model/language-model.ts';
import type { JsonSchema } from '../extraction/json-schema-validator.ts';

/**
 * Browser actions the agent offers (`read_text`/`read_html` are covered by extraction; `new_tab`,
 * `go_forward` and `reload` are left out: rarely useful, and every tool costs tokens in every step).
 */
const OFFERED: ReadonlyArray<{ type: BrowserActionType; description?: string; when?: Need }> = [
  { type: 'click' },
  { type: 'input_text', description: 'Replaces the text.' },
  { type: 'select_option', description: 'By option label.', when: 'choice' },
  { type: 'check', when: 'checkbox' },
  { type: 'uncheck', when: 'checkbox' },
  { type: 'download', description: 'A click that downloads a file.' },
  { type: 'keypress', description: 'e.g. Enter, Control+A' },
  { type: 'scroll', description: 'By pages (default 1), or to a text.', when: 'scroll' },
  { type: 'hover', when: 'popup' },
  { type: 'goto_url' },
  { type: 'go_back' },
  { type: 'wait', description: 'ms (at most 10000), or until a text shows.' },
  { type: 'upload_file', when: 'files' },
  { type: 'switch_tab', when: 'tabs' },
  { type: 'close_tab', when: 'tabs' },
  { type: 'accept_dialog', when: 'dialog' },
  { type: 'dismiss_dialog', when: 'dialog' },
];

/** What a page must have for a tool to be offered. */
type Need = 'choice' | 'checkbox' | 'scroll' | 'popup' | 'files' | 'tabs' | 'dialog';

const CHOICE_ROLES = new Set(['combobox', 'listbox']);
const CHECK_ROLES = new Set(['checkbox', 'radio', 'switch', 'menuitemcheckbox', 'menuitemradio']);
const POPUP_ROLES = new Set(['menu', 'menubar', 'menuitem', 'tooltip']);

/** Which needs a page meets. */
function needsMet(observation: ToolObservation, context: ToolContext): Set<Need> {
  const met = new Set<Need>();
  if (observation.tabs.length > 1) met.add('tabs');
  if (observation.dialogs.length > 0) met.add('dialog');
  const s = observation.scroll;
  if (!s || s.height > s.viewportHeight + 1 || s.width > s.viewportWidth + 1) met.add('scroll');
  for (const element of observation.elements ?? []) {
    if (element.tag === 'select' || CHOICE_ROLES.has(element.role)) met.add('choice');
    if (CHECK_ROLES.has(element.role)) met.add('checkbox');
    if (element.attributes.haspopup || POPUP_ROLES.has(element.role)) met.add('popup');
    if (element.attributes.scroll) met.add('scroll');
    if (element.attributes.type === 'file' && context.files.length > 0) met.add('files');
  }
  if (!observation.elements) {
    for (const need of ['choice', 'checkbox', 'popup'] as const) met.add(need);
    if (context.files.length > 0) met.add('files');
  }
  return met;
}

/** Fields the agent sets itself or that only confuse a model. */
const HIDDEN_FIELDS: Partial<Record<BrowserActionType, readonly string[]>> = {
  click: ['button', 'modifiers', 'double'],
  input_text: ['sensitive', 'clear'],
  download: ['timeoutMs'],
  wait: ['timeoutMs'],
};

/** The page facts `toolsFor` looks at. */
export type ToolObservation = Pick<Observation, 'tabs' | 'dialogs'> & Partial<Pick<Observation, 'elements' | 'scroll'>>;

/** Names of the agent's own tools. */
export const AGENT_TOOL_NAMES = ['complete', 'terminate', 'extract', 'get_verification_code'] as const;
/** An agent tool name. */
export type AgentToolName = (typeof AGENT_TOOL_NAMES)[number];

/** What a step decided, tool call by tool call. */
export type AgentDecision =
  | { kind: 'browser'; action: BrowserAction }
  | { kind: 'complete'; reasoning: string }
  | { kind: 'terminate'; reasoning: string; errorCode?: string; confidence?: number }
  | { kind: 'extract'; what?: string }
  | { kind: 'get_verification_code'; reasoning?: string };

/** What a step may offer. */
export type ToolContext = {
  /** Codes of the run's `error_code_mapping` (terminate may name one). */
  errorCodes: readonly string[];
  /** The run extracts data (offer `extract`). */
  extraction: boolean;
  /** The run can obtain a verification code (a `totp_url` or a `totp_identifier`). */
  verificationCode: boolean;
  /** Local files the run may upload. */
  files: readonly string[];
};

function compactSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(compactSchema);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'pattern') continue;
    if ((key === 'maximum' || key === 'minimum') && typeof value === 'number' && Math.abs(value) >= Number.MAX_SAFE_INTEGER) continue;
    out[key] = compactSchema(value);
  }
  return out;
}

const browserTools = new Map<BrowserActionType, ModelTool>();
for (const spec of OFFERED) {
  const option = browserActionSchema.options.find((o) => o.shape.type.value === spec.type);
  if (!option) throw new Error(`agent tools: no browser action ${spec.type}`);
  const mask: Record<string, true> = { type: true };
  for (const field of HIDDEN_FIELDS[spec.type] ?? []) mask[field] = true;
  const schema = compactSchema(z.toJSONSchema((option as z.ZodObject).omit(mask), { io: 'input' })) as JsonSchema;
  browserTools.set(spec.type, { name: spec.type, ...(spec.description ? { description: spec.description } : {}), inputSchema: schema });
}

/**
 * The tools of one step: the browser tools the page can use (selects, checkboxes, scrolling, pop-ups,
 * file inputs, tabs and dialogs only when it has them; without `elements` those are all offered), then
 * the agent's own. Tool names describe themselves; only tools whose use is not obvious carry a description.
 */
export function toolsFor(observation: ToolObservation, context: ToolContext): ModelTool[] {
  const met = needsMet(observation, context);
  const tools: ModelTool[] = [];
  for (const spec of OFFERED) {
    if (spec.when && !met.has(spec.when)) continue;
    const tool = browserTools.get(spec.type);
    if (tool) tools.push(tool);
  }
  tools.push({
    name: 'complete',
    description: 'The page shows the goal reached (say how).',
    inputSchema: { type: 'object', properties: { reasoning: { type: 'string' } }, required: ['reasoning'] },
  });
  const terminateProperties: Record<string, JsonSchema> = { reasoning: { type: 'string' } };
  if (context.errorCodes.length > 0) {
    terminateProperties.error_code = { type: 'string', enum: [...context.errorCodes] };
    terminateProperties.confidence = { type: 'number', minimum: 0, maximum: 1 };
  }
  tools.push({
    name: 'terminate',
    description: 'The goal cannot be reached (say why).',
    inputSchema: { type: 'object', properties: terminateProperties, required: ['reasoning'] },
  });
  if (context.extraction) {
    tools.push({
      name: 'extract',
      description: 'Extract this page\'s data now, before leaving it; complete extracts the last page.',
      inputSchema: { type: 'object', properties: {} },
    });
  }
  if (context.verificationCode) {
    tools.push({
      name: 'get_verification_code',
      description: 'Get the 2FA code the page asks for; type its placeholder next step.',
      inputSchema: { type: 'object', properties: {} },
    });
  }
  return tools;
}

/** A tool call the step could not use, with why (shown to the model in the history). */
export type RejectedToolCall = { name: string; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Maps the model's tool calls to decisions, in order; calls that do not parse are rejected with a reason. */
export function parseToolCalls(calls: readonly ModelToolCall[], context: ToolContext): { decisions: AgentDecision[]; rejected: RejectedToolCall[] } {
  const decisions: AgentDecision[] = [];
  const rejected: RejectedToolCall[] = [];
  for (const call of calls) {
    if (call.error) {
      rejected.push({ name: call.name, reason: call.error });
      continue;
    }
    const input = isRecord(call.input) ? call.input : {};
    switch (call.name) {
      case 'complete':
        decisions.push({ kind: 'complete', reasoning: typeof input.reasoning === 'string' ? input.reasoning : '' });
        continue;
      case 'terminate': {
        const code = typeof input.error_code === 'string' && context.errorCodes.includes(input.error_code) ? input.error_code : undefined;
        const confidence = typeof input.confidence === 'number' && input.confidence >= 0 && input.confidence <= 1 ? input.confidence : undefined;
        decisions.push({
          kind: 'terminate',
          reasoning: typeof input.reasoning === 'string' ? input.reasoning : '',
          ...(code === undefined ? {} : { errorCode: code }),
          ...(confidence === undefined ? {} : { confidence }),
        });
        continue;
      }
      case 'extract':
        decisions.push({ kind: 'extract', ...(typeof input.what === 'string' ? { what: input.what } : {}) });
        continue;
      case 'get_verification_code':
        decisions.push({ kind: 'get_verification_code' });
        continue;
      default:
        break;
    }
    if (!browserTools.has(call.name as BrowserActionType)) {
      rejected.push({ name: call.name, reason: 'unknown tool' });
      continue;
    }
    const parsed = browserActionSchema.safeParse({ ...input, type: call.name });
    if (!parsed.success) {
      rejected.push({ name: call.name, reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ') });
      continue;
    }
    const action = parsed.data;
    if (action.type === 'upload_file' && !action.files.every((f) => context.files.includes(f))) {
      rejected.push({ name: call.name, reason: 'only files the task was given can be uploaded' });
      continue;
    }
    if (action.type === 'wait' && action.ms !== undefined) decisions.push({ kind: 'browser', action: { ...action, ms: Math.min(action.ms, 10_000) } });
    else decisions.push({ kind: 'browser', action });
  }
  return { decisions, rejected };
}
