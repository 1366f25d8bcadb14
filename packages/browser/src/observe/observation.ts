// The shape of one observation of a tab: what the agent and the compact text form are built from.

/** A box in CSS pixels, relative to the top-left of the tab's viewport (frame offsets included). */
export type Bounds = { x: number; y: number; width: number; height: number };

/** The attributes of an element that matter for choosing and using it. Absent means not set. */
export type ElementAttributes = {
  /** `type` of an input (text, email, password, checkbox, file, …). */
  type?: string;
  /** The form field `name`. */
  name?: string;
  placeholder?: string;
  /** Current value: typed text, selected option labels, file names; passwords as `********`. */
  value?: string;
  /** The link target, shortened: same-origin links as path + query, others in full, at most 80 characters. */
  href?: string;
  checked?: boolean | 'mixed';
  selected?: boolean;
  disabled?: boolean;
  expanded?: boolean;
  pressed?: boolean;
  required?: boolean;
  readonly?: boolean;
  multiple?: boolean;
  /** Accepted file types of a file input. */
  accept?: string;
  /** `aria-current` value. */
  current?: string;
  /** `aria-haspopup` value (menu, listbox, dialog, …). */
  haspopup?: string;
  invalid?: boolean;
  /** Scroll position of a scroll container, as `top/max`. */
  scroll?: string;
};

/** One option of a native select. */
export type SelectOption = { value: string; label: string; selected: boolean };

/** An element the agent can act on (or scroll, for scroll containers), with an id stable while the node lives. */
export type ObservedElement = {
  /** Short id, unique across the tab's frames, e.g. `e12`. */
  id: string;
  /** The frame holding the element (`f0` is the main frame). */
  frameId: string;
  tag: string;
  /** ARIA role, explicit or implied by the tag (`scrollable` for scroll containers). */
  role: string;
  /** Accessible name (aria-labelledby, aria-label, label, content, title, placeholder). */
  name: string;
  /** Visible text when it differs from the name. */
  text?: string;
  attributes: ElementAttributes;
  /** The options of a native select. */
  options?: SelectOption[];
  bounds: Bounds;
  /** True when the element lives in an open shadow root. */
  inShadowRoot?: true;
};

/** A frame of the tab. */
export type ObservedFrame = {
  frameId: string;
  /** The parent frame's id; absent for the main frame. */
  parentFrameId?: string;
  /** The id of the iframe element in the parent frame. */
  elementId?: string;
  url: string;
  name?: string;
  /** True when the frame's origin differs from the main frame's. */
  crossOrigin: boolean;
  /** False when the frame could not be read (still loading, detached, or timed out). */
  ok: boolean;
};

/** An open tab of the run context. */
export type ObservedTab = { index: number; url: string; title: string; active: boolean };

/** A JavaScript dialog waiting for `accept_dialog` or `dismiss_dialog`. */
export type PendingDialog = { type: 'alert' | 'confirm' | 'prompt' | 'beforeunload'; message: string; defaultValue?: string };

/** Scroll position and size of the tab's document. */
export type ScrollState = { x: number; y: number; width: number; height: number; viewportWidth: number; viewportHeight: number };

/** Everything observed of the active tab at one moment. */
export type Observation = {
  url: string;
  title: string;
  scroll: ScrollState;
  tabs: ObservedTab[];
  dialogs: PendingDialog[];
  frames: ObservedFrame[];
  /** Interactive elements (and scroll containers and iframes), in document order with frames stitched in place. */
  elements: ObservedElement[];
  /** The compact text form sent to language models (see `serializeObservation`). */
  text: string;
  /** Tokens of `text` (o200k_base), when `countTokens` was asked for. */
  tokens?: number;
  /** Elements visited in all frames (a size measure of the page). */
  nodeCount: number;
  takenAt: string;
  durationMs: number;
};
