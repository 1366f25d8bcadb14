// The action vocabulary: one discriminated union, so an agent can map each LLM tool call 1:1 onto an
// action, and the zod schema that validates one (the agent can also derive tool schemas from it).
// Names follow Skyvern's action types where it has them (input_text, select_option, upload_file,
// goto_url, keypress, …).
import { z } from 'zod';

const elementId = z.string().regex(/^e\d+$/, 'an element id such as e12');

/** The zod schema of `BrowserAction`. */
export const browserActionSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('click'),
    elementId,
    /** Double click. */
    double: z.boolean().optional(),
    button: z.enum(['left', 'right', 'middle']).optional(),
    modifiers: z.array(z.enum(['Alt', 'Control', 'Meta', 'Shift'])).optional(),
  }),
  z.object({
    type: z.literal('input_text'),
    elementId,
    text: z.string(),
    /** Clear the field first (default true); false appends. */
    clear: z.boolean().optional(),
    /** Press Enter after typing. */
    pressEnter: z.boolean().optional(),
    /** The text is a secret: the replay descriptor stores no value and the log shows none. */
    sensitive: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('select_option'),
    elementId,
    /** The option to choose, by visible label (native selects also match the value). */
    option: z.string(),
  }),
  z.object({ type: z.literal('check'), elementId }),
  z.object({ type: z.literal('uncheck'), elementId }),
  z.object({
    type: z.literal('upload_file'),
    elementId,
    /** Paths of local files. */
    files: z.array(z.string()).min(1),
  }),
  z.object({
    type: z.literal('download'),
    elementId,
    /** How long to wait for the download to start; default the action timeout. */
    timeoutMs: z.number().int().positive().optional(),
  }),
  z.object({
    type: z.literal('keypress'),
    /** A key or chord in Playwright's notation: `Enter`, `Control+A`, `Shift+Tab`. */
    keys: z.string().min(1),
    /** Focus this element first; default the focused element. */
    elementId: elementId.optional(),
  }),
  z.object({
    type: z.literal('scroll'),
    /** Scroll inside this element (or bring it into view when no direction is given). */
    elementId: elementId.optional(),
    direction: z.enum(['up', 'down', 'left', 'right']).optional(),
    /** How far, in viewport (or element) heights; default 1. */
    pages: z.number().positive().optional(),
    /** Scroll until this text is in view. */
    text: z.string().min(1).optional(),
  }),
  z.object({ type: z.literal('hover'), elementId }),
  z.object({ type: z.literal('goto_url'), url: z.string().min(1) }),
  z.object({ type: z.literal('go_back') }),
  z.object({ type: z.literal('go_forward') }),
  z.object({ type: z.literal('reload') }),
  z.object({
    type: z.literal('wait'),
    /** Sleep this long. */
    ms: z.number().int().nonnegative().optional(),
    /** Wait until this text is visible on the page. */
    text: z.string().min(1).optional(),
    /** Upper bound for a text wait; default the action timeout. */
    timeoutMs: z.number().int().positive().optional(),
  }),
  z.object({ type: z.literal('new_tab'), url: z.string().optional() }),
  z.object({ type: z.literal('switch_tab'), index: z.number().int().nonnegative() }),
  z.object({ type: z.literal('close_tab'), index: z.number().int().nonnegative().optional() }),
  z.object({ type: z.literal('accept_dialog'), promptText: z.string().optional() }),
  z.object({ type: z.literal('dismiss_dialog') }),
  z.object({ type: z.literal('read_text'), elementId: elementId.optional() }),
  z.object({ type: z.literal('read_html'), elementId: elementId.optional() }),
]);

/** One browser action, as the agent (or code) asks for it. */
export type BrowserAction = z.infer<typeof browserActionSchema>;

/** The `type` of a browser action. */
export type BrowserActionType = BrowserAction['type'];

/** Every action type, in the order of the union. */
export const BROWSER_ACTION_TYPES: readonly BrowserActionType[] = browserActionSchema.options.map((option) => option.shape.type.value);
