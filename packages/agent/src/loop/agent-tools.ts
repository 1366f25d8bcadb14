// The tools the model decides with. Browser tools map 1:1 onto the browser's `BrowserAction` union:
// the tool name is the action type and the input schema is derived from the action's zod schema
// (minus the fields the agent sets itself or a model rarely needs, with `elementId` called `id` as the
// page writes it). Agent tools end or extend the step: `complete`, `terminate`, `extract`,
// `get_verification_code`. Tools are offered per page: selects, checkboxes, scrolling, pop-ups, file
// inputs, tabs, dialogs, file-like links (`download`) and busy pages (`wait`) bring their tools, and
// `get_verification_code` comes only when the run has a way to obtain a code. Tool definitions travel
// with every step and count in every prompt, so none carries a description its name already gives
// (the system prompt says when to complete or terminate).
import { z } from 'zod';
import { browserActionSchema } from '@petrel/browser';
import type { BrowserAction, BrowserActionType, Observation } from '@petrel/browser';
import type { ModelTool, ModelToolCall } from '../model/language-model.ts';
import type { JsonSchema } from '../extraction/json-schema-validator.ts';

/**
 * Browser actions the agent offers (`read_text`/`read_html` are covered by extraction; `new_tab`,
 * `go_forward` and `reload` are left out: rarely useful, and every tool costs tokens in every step).
 */
const OFFERED: ReadonlyArray<{ type: BrowserActionType; when?: Need }> = [
  { type: 'click' },
  { type: 'input_text' },
  { type: 'select_option', when: 'choice' },
  { type: 'check', when: 'checkbox' },
  { type: 'uncheck', when: 'checkbox' },
  { type: 'download', when: 'download' },
  { type: 'keypress' },
  { type: 'scroll', when: 'scroll' },
  { type: 'hover', when: 'popup' },
  { type: 'goto_url' },
  { type: 'go_back' },
  { type: 'wait', when: 'loading' },
  { type: 'upload_file', when: 'files' },
  { type: 'switch_tab', when: 'tabs' },
  { type: 'close_tab', when: 'tabs' },
  { type: 'accept_dialog', when: 'dialog' },
  { type: 'dismiss_dialog', when: 'dialog' },
];

/** What a page must have for a tool to be offered. */
type Need = 'choice' | 'checkbox' | 'scroll' | 'popup' | 'files' | 'tabs' | 'dialog' | 'download' | 'loading';

const CHOICE_ROLES = new Set(['combobox', 'listbox']);
const CHECK_ROLES = new Set(['checkbox', 'radio', 'switch', 'menuitemcheckbox', 'menuitemradio']);
const POPUP_ROLES = new Set(['menu', 'menubar', 'menuitem', 'tooltip']);
/** A link or button that looks like it fetches a file (a plain click saves a download too; `download` also waits for a slow one). */
const FILE_LIKE = /download|invoice|receipt|statement|export|\.(?:pdf|csv|xlsx?|zip|docx?|txt|json|xml)(?:[?#]|$)/i;
/** Page text that says something is still on its way (offer `wait`). */
const LOADING = /\b(?:loading|processing|please wait|in progress|generating|preparing|refreshing)\b/i;

/** Which needs a page meets. */
function needsMet(observation: ToolObservation, context: ToolContext): Set<Need> {
  const met = new Set<Need>();
  if (observation.tabs.length > 1) met.add('tabs');
  if (observation.dialogs.length > 0) met.add('dialog');
  const s = observation.scroll;
  if (!s || s.height > s.viewportHeight + 1 || s.width > s.viewportWidth + 1) met.add('scroll');
  if (context.downloads) met.add('download');
  if (observation.text === undefined || LOADING.test(observation.text)) met.add('loading');
  for (const element of observation.elements ?? []) {
    if ((element.role === 'link' || element.role === 'button') && (FILE_LIKE.test(element.name) || FILE_LIKE.test(element.attributes.href ?? ''))) met.add('download');
    if (element.tag === 'select' || CHOICE_ROLES.has(element.role)) met.add('choice');
    if (CHECK_ROLES.has(element.role)) met.add('checkbox');
    if (element.attributes.haspopup || POPUP_ROLES.has(element.role)) met.add('popup');
    if (element.attributes.scroll) met.add('scroll');
    if (element.attributes.type === 'file' && context.files.length > 0) met.add('files');
  }
  if (!observation.elements) {
    for (const need of ['choice', 'checkbox', 'popup', 'download'] as const) met.add(need);
    if (context.files.length > 0) met.add('files');
  }
  return met;
}

/** Fields the agent sets itself or that only confuse a model. */
const HIDDEN_FIELDS: Partial<Record<BrowserActionType, readonly string[]>> = {
  click: ['button', 'modifiers', 'double'],
  // Enter is a keypress call after it (calls run in order); the typed text replaces the field's.
  input_text: ['sensitive', 'clear', 'pressEnter'],
  download: ['timeoutMs'],
  // After input_text the focus is in the field; keypress acts on the focused element.
  keypress: ['elementId'],
  // One page (or box height) at a time is enough; a text scrolls straight to it.
  scroll: ['pages'],
  wait: ['timeoutMs'],
};

/** The page facts `toolsFor` looks at. */
export type ToolObservation = Pick<Observation, 'tabs' | 'dialogs'> & Partial<Pick<Observation, 'elements' | 'scroll' | 'text'>>;

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
  /** The run is about downloading files (offer `download` on every page); default false. */
  downloads?: boolean;
  /** Local files the run may upload. */
  files: readonly string[];
};

/** What the tools call the element argument: `id`, as the page writes elements (`[e12 …]`); the browser action calls it `elementId`. */
const ID = 'id';

/** An action's JSON schema as a tool's: no `$schema` or patterns, no unbounded limits, `elementId` named `id`. */
function compactSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(compactSchema);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'pattern') continue;
    if ((key === 'maximum' || key === 'minimum') && typeof value === 'number' && Math.abs(value) >= Number.MAX_SAFE_INTEGER) continue;
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, field]) => [name === 'elementId' ? ID : name, compactSchema(field)]));
    } else if (key === 'required' && Array.isArray(value)) {
      out[key] = value.map((name: unknown) => (name === 'elementId' ? ID : name));
    } else {
      out[key] = compactSchema(value);
    }
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
  browserTools.set(spec.type, { name: spec.type, inputSchema: schema });
}

/**
 * The tools of one step: the browser tools the page can use (selects, checkboxes, scrolling, pop-ups,
 * file inputs, tabs, dialogs, file-like links and busy pages only when it has them; without `elements`
 * or `text` those are all offered), then the agent's own.
 */
export function toolsFor(observation: ToolObservation, context: ToolContext): ModelTool[] {
  const met = needsMet(observation, context);
  const tools: ModelTool[] = [];
  for (const spec of OFFERED) {
    if (spec.when && !met.has(spec.when)) continue;
    const tool = browserTools.get(spec.type);
    if (tool) tools.push(tool);
  }
  tools.push({ name: 'complete', inputSchema: { type: 'object', properties: { reasoning: { type: 'string' } }, required: ['reasoning'] } });
  const terminateProperties: Record<string, JsonSchema> = { reasoning: { type: 'string' } };
  if (context.errorCodes.length > 0) {
    terminateProperties.error_code = { type: 'string', enum: [...context.errorCodes] };
    terminateProperties.confidence = { type: 'number', minimum: 0, maximum: 1 };
  }
  tools.push({ name: 'terminate', inputSchema: { type: 'object', properties: terminateProperties, required: ['reasoning'] } });
  if (context.extraction) {
    tools.push({ name: 'extract', description: "Save this page's data before leaving it.", inputSchema: { type: 'object', properties: {} } });
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
    const { [ID]: id, ...rest } = input;
    const parsed = browserActionSchema.safeParse({ ...rest, ...(id === undefined ? {} : { elementId: id }), type: call.name });
    if (!parsed.success) {
      const field = (path: readonly PropertyKey[]): string => path.map((p) => (p === 'elementId' ? ID : String(p))).join('.') || 'input';
      rejected.push({ name: call.name, reason: parsed.error.issues.map((i) => `${field(i.path)}: ${i.message}`).join('; ') });
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
