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

/** Browser actions the agent offers (`read_text`/`read_html` are covered by extraction, `new_tab`/`go_forward` are rarely useful). */
const OFFERED: ReadonlyArray<{ type: BrowserActionType; description: string; when?: 'tabs' | 'dialog' | 'files' }> = [
  { type: 'click', description: 'Click an element.' },
  { type: 'input_text', description: 'Type into a field (replaces its value). Type placeholders exactly as given.' },
  { type: 'select_option', description: 'Choose an option of a select, combobox or listbox by its label.' },
  { type: 'check', description: 'Tick a checkbox or choose a radio button.' },
  { type: 'uncheck', description: 'Untick a checkbox.' },
  { type: 'download', description: 'Click a link or button that downloads a file, and wait for the file.' },
  { type: 'keypress', description: 'Press keys (Enter, Tab, Escape, Control+A) on an element or the focused one.' },
  { type: 'scroll', description: 'Scroll the page or an element by pages (default 1), or until a text is in view.' },
  { type: 'hover', description: 'Move the mouse over an element.' },
  { type: 'goto_url', description: 'Open a URL.' },
  { type: 'go_back', description: 'Go back one page.' },
  { type: 'reload', description: 'Reload the page.' },
  { type: 'wait', description: 'Wait some milliseconds, or until a text appears.' },
  { type: 'upload_file', description: 'Put files into a file input.', when: 'files' },
  { type: 'switch_tab', description: 'Make another tab active.', when: 'tabs' },
  { type: 'close_tab', description: 'Close a tab (default the active one).', when: 'tabs' },
  { type: 'accept_dialog', description: 'Accept the pending dialog (with text for a prompt).', when: 'dialog' },
  { type: 'dismiss_dialog', description: 'Dismiss the pending dialog.', when: 'dialog' },
];

/** Fields the agent sets itself or that only confuse a model. */
const HIDDEN_FIELDS: Partial<Record<BrowserActionType, readonly string[]>> = {
  click: ['button', 'modifiers'],
  input_text: ['sensitive', 'clear'],
  download: ['timeoutMs'],
  wait: ['timeoutMs'],
};

const FIELD_DESCRIPTIONS: Record<string, string> = {
  elementId: 'Element id from the page, e.g. e12.',
  pressEnter: 'Press Enter after typing.',
  double: 'Double click.',
  option: 'The option label.',
  keys: 'Key or chord.',
  pages: 'How far, in viewport heights.',
  ms: 'Milliseconds (at most 10000).',
  promptText: 'Text for a prompt dialog.',
  files: 'Paths of files the task was given.',
  index: 'Tab index.',
};

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
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const [name, property] of Object.entries(properties)) {
    const description = FIELD_DESCRIPTIONS[name];
    if (description && name !== 'elementId') properties[name] = { ...property, description };
  }
  browserTools.set(spec.type, { name: spec.type, description: spec.description, inputSchema: schema });
}

/** The tools of one step. */
export function toolsFor(observation: Pick<Observation, 'tabs' | 'dialogs'>, context: ToolContext): ModelTool[] {
  const tools: ModelTool[] = [];
  for (const spec of OFFERED) {
    if (spec.when === 'tabs' && observation.tabs.length < 2) continue;
    if (spec.when === 'dialog' && observation.dialogs.length === 0) continue;
    if (spec.when === 'files' && context.files.length === 0) continue;
    const tool = browserTools.get(spec.type);
    if (tool) tools.push(tool);
  }
  tools.push({
    name: 'complete',
    description: 'The goal is achieved: the page shows it. Say what shows it.',
    inputSchema: { type: 'object', properties: { reasoning: { type: 'string' } }, required: ['reasoning'] },
  });
  const terminateProperties: Record<string, JsonSchema> = { reasoning: { type: 'string', description: 'Why the goal cannot be achieved.' } };
  if (context.errorCodes.length > 0) {
    terminateProperties.error_code = { type: 'string', enum: [...context.errorCodes], description: 'The error code that applies, if one does.' };
    terminateProperties.confidence = { type: 'number', minimum: 0, maximum: 1 };
  }
  tools.push({
    name: 'terminate',
    description: 'Stop: the goal cannot be achieved (wrong credentials, missing data, access denied).',
    inputSchema: { type: 'object', properties: terminateProperties, required: ['reasoning'] },
  });
  if (context.extraction) {
    tools.push({
      name: 'extract',
      description: 'Extract the wanted data from this page now (before leaving it, e.g. on each page of a list). The final page is extracted on complete.',
      inputSchema: { type: 'object', properties: {} },
    });
  }
  if (context.verificationCode) {
    tools.push({
      name: 'get_verification_code',
      description: 'The page asks for a verification (2FA) code you were not given: request it. You get a placeholder to type next step.',
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
