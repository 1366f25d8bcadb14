// Observation on the Node side: one page-script call per frame (all frames at once), then the frames
// are stitched into one document-ordered list and the short ids are handed out.
//
// Ids: the page script numbers each element once per document (`<doc>-<n>`, kept in a WeakMap and
// written to `data-petrel-id`); here each (frame, ref) gets a run-wide `e<N>` the first time it is
// seen and keeps it while the frame shows the same document. So ids are short, unique across tabs
// and frames, stable while the node lives, and resolve to `frame.locator('[data-petrel-id="…"]')`,
// which Playwright's CSS engine finds through open shadow roots.
import type { Frame, Locator, Page } from 'playwright-core';
import { pageScript, REF_ATTRIBUTE, type PageCall } from './page-script.ts';
import { serializeObservation, type TextPiece } from './serialize.ts';
import { countTokens } from './tokens.ts';
import type { Observation, ObservedElement, ObservedFrame, ObservedTab, PendingDialog, ElementAttributes } from './observation.ts';

/** Where an element id points. */
export type ElementRef = { id: string; page: Page; frame: Frame; ref: string; frameId: string; element: ObservedElement };

/** Options of one observation. */
export type ObserveOptions = {
  /** Count the tokens of the text form with o200k_base (adds a few ms to tens of ms); default false. */
  countTokens?: boolean;
  /** Longest text run kept, in characters; default 300. */
  maxText?: number;
  /** Longest accessible name kept, in characters; default 100. */
  maxName?: number;
  /** How long one frame may take to answer before it is reported as not ready; default 3000 ms. */
  frameTimeoutMs?: number;
  /** Aborts the observation (frames already asked finish in the background). */
  signal?: AbortSignal;
};

type RawItem =
  | string
  | { k: 'e'; ref: string; tag: string; role: string; name: string; x?: string; r: [number, number, number, number]; a: ElementAttributes; o?: [string, string, number][]; sh?: 1 }
  | { k: 'f'; ref: string; name: string; r: [number, number, number, number]; sh?: 1 }
  | { k: 'h'; level: number }
  | { k: 'img'; name: string }
  | { k: 'in' }
  | { k: 'out' };

type RawFrame = {
  doc: string;
  url: string;
  title: string;
  scroll: [number, number, number, number, number, number];
  count: number;
  items: RawItem[];
};

type FrameState = { doc: string; ids: Map<string, string> };

/** Runs page-script calls with a time limit. A call that times out keeps running in the page and is ignored. */
export async function callPage<T>(frame: Frame, call: PageCall, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const evaluation = frame.evaluate(pageScript, call) as Promise<T>;
  evaluation.catch(() => {});
  try {
    return await Promise.race([
      evaluation,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`page script ${call.op} timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The observer of one run context: hands out ids and resolves them. */
export type Observer = {
  /** Observes `page`; `tabs` and `dialogs` are supplied by the context. */
  observe(page: Page, extras: { tabs: ObservedTab[]; dialogs: PendingDialog[] }, options?: ObserveOptions): Promise<Observation>;
  /** Where an id points, or undefined when it was never handed out or its document is gone. */
  findElement(id: string): ElementRef | undefined;
  /** A Playwright locator for the element, inside its frame. */
  locatorOf(ref: ElementRef): Locator;
  /** The frame id (`f0`, `f1`, …) of a frame of a page. */
  frameIdOf(page: Page, frame: Frame): string;
};

/** Creates the observer of one run context. */
export function createObserver(): Observer {
  let nextId = 1;
  let nextFrame = new WeakMap<Page, number>();
  const frameIds = new WeakMap<Frame, string>();
  const frameStates = new WeakMap<Frame, FrameState>();
  const frameElementRefs = new WeakMap<Frame, string>();
  const elements = new Map<string, ElementRef>();

  function frameIdOf(page: Page, frame: Frame): string {
    if (frame === page.mainFrame()) return 'f0';
    let id = frameIds.get(frame);
    if (!id) {
      const n = (nextFrame.get(page) ?? 0) + 1;
      nextFrame.set(page, n);
      id = `f${n}`;
      frameIds.set(frame, id);
    }
    return id;
  }

  function idFor(state: FrameState, ref: string): string {
    let id = state.ids.get(ref);
    if (!id) {
      id = `e${nextId++}`;
      state.ids.set(ref, id);
    }
    return id;
  }

  async function refOfFrameElement(frame: Frame, parentDoc: string | undefined): Promise<string | undefined> {
    const cached = frameElementRefs.get(frame);
    if (cached && parentDoc && cached.startsWith(`${parentDoc}-`)) return cached;
    try {
      const handle = await frame.frameElement();
      try {
        const ref = (await handle.getAttribute(REF_ATTRIBUTE)) ?? undefined;
        if (ref) frameElementRefs.set(frame, ref);
        return ref;
      } finally {
        void handle.dispose().catch(() => {});
      }
    } catch {
      return undefined;
    }
  }

  function pruneDetached(): void {
    for (const [id, ref] of elements) {
      if (ref.page.isClosed() || ref.frame.isDetached() || frameStates.get(ref.frame)?.doc !== ref.ref.split('-')[0]) elements.delete(id);
    }
  }

  return {
    frameIdOf,

    findElement(id: string) {
      const ref = elements.get(id);
      if (!ref) return undefined;
      if (ref.page.isClosed() || ref.frame.isDetached()) {
        elements.delete(id);
        return undefined;
      }
      return ref;
    },

    locatorOf(ref: ElementRef) {
      return ref.frame.locator(`[${REF_ATTRIBUTE}="${ref.ref}"]`);
    },

    async observe(page, extras, options = {}) {
      const started = performance.now();
      const maxText = options.maxText ?? 300;
      const maxName = options.maxName ?? 100;
      const frameTimeoutMs = options.frameTimeoutMs ?? 3000;
      const mainUrl = page.url();
      if (extras.dialogs.length > 0) {
        // The page's scripts are paused by the dialog; any evaluation would wait for it.
        const text = serializeObservation(
          {
            url: mainUrl,
            title: '',
            scroll: { x: 0, y: 0, width: 0, height: 0, viewportWidth: 0, viewportHeight: 0 },
            tabs: extras.tabs,
            dialogs: extras.dialogs,
            note: 'The page is blocked by the dialog; accept or dismiss it to continue.',
          },
          [],
        );
        return {
          url: mainUrl,
          title: '',
          scroll: { x: 0, y: 0, width: 0, height: 0, viewportWidth: 0, viewportHeight: 0 },
          tabs: extras.tabs,
          dialogs: extras.dialogs,
          frames: [],
          elements: [],
          text,
          ...(options.countTokens ? { tokens: await countTokens(text) } : {}),
          nodeCount: 0,
          takenAt: new Date().toISOString(),
          durationMs: Math.round(performance.now() - started),
        };
      }
      const frames = page.frames().filter((f) => !f.isDetached());
      const call: PageCall = { op: 'observe', maxText, maxName };
      const raws = await Promise.all(
        frames.map(async (frame) => {
          try {
            const json = await callPage<string>(frame, call, frameTimeoutMs);
            return JSON.parse(json) as RawFrame;
          } catch {
            return undefined;
          }
        }),
      );
      if (options.signal?.aborted) throw options.signal.reason;

      // Document tokens decide whether a frame's ids carry over.
      const rawOf = new Map<Frame, RawFrame>();
      frames.forEach((frame, i) => {
        const raw = raws[i];
        if (!raw) return;
        rawOf.set(frame, raw);
        const state = frameStates.get(frame);
        if (!state || state.doc !== raw.doc) frameStates.set(frame, { doc: raw.doc, ids: new Map() });
      });
      pruneDetached();

      // Which iframe element (by ref in its parent) hosts each child frame.
      const childrenByRef = new Map<Frame, Map<string, Frame>>();
      await Promise.all(
        frames.map(async (frame) => {
          const parent = frame.parentFrame();
          if (!parent || !rawOf.has(frame)) return;
          const ref = await refOfFrameElement(frame, rawOf.get(parent)?.doc);
          if (!ref) return;
          let map = childrenByRef.get(parent);
          if (!map) childrenByRef.set(parent, (map = new Map()));
          map.set(ref, frame);
        }),
      );

      const mainOrigin = safeOrigin(mainUrl);
      const observedFrames: ObservedFrame[] = [];
      const outElements: ObservedElement[] = [];
      const pieces: TextPiece[] = [];
      let nodeCount = 0;

      const stitch = (frame: Frame, offsetX: number, offsetY: number, parentFrameId: string | undefined, hostId: string | undefined): void => {
        const raw = rawOf.get(frame);
        const frameId = frameIdOf(page, frame);
        const name = frame.name();
        observedFrames.push({
          frameId,
          ...(parentFrameId ? { parentFrameId } : {}),
          ...(hostId ? { elementId: hostId } : {}),
          url: frame.url(),
          ...(name ? { name } : {}),
          crossOrigin: safeOrigin(frame.url()) !== mainOrigin,
          ok: raw !== undefined,
        });
        if (!raw) return;
        nodeCount += raw.count;
        const state = frameStates.get(frame) as FrameState;
        const children = childrenByRef.get(frame);
        for (const item of raw.items) {
          if (typeof item === 'string') {
            pieces.push(item === '\n' ? { kind: 'break' } : { kind: 'text', text: item });
            continue;
          }
          switch (item.k) {
            case 'e': {
              const element: ObservedElement = {
                id: idFor(state, item.ref),
                frameId,
                tag: item.tag,
                role: item.role,
                name: item.name,
                ...(item.x ? { text: item.x } : {}),
                attributes: item.a,
                ...(item.o ? { options: item.o.map(([value, label, selected]) => ({ value, label, selected: selected === 1 })) } : {}),
                bounds: { x: item.r[0] + offsetX, y: item.r[1] + offsetY, width: item.r[2], height: item.r[3] },
                ...(item.sh ? { inShadowRoot: true as const } : {}),
              };
              outElements.push(element);
              elements.set(element.id, { id: element.id, page, frame, ref: item.ref, frameId, element });
              pieces.push({ kind: 'element', element });
              break;
            }
            case 'f': {
              const child = children?.get(item.ref);
              const element: ObservedElement = {
                id: idFor(state, item.ref),
                frameId,
                tag: 'iframe',
                role: 'iframe',
                name: item.name,
                attributes: {},
                bounds: { x: item.r[0] + offsetX, y: item.r[1] + offsetY, width: item.r[2], height: item.r[3] },
                ...(item.sh ? { inShadowRoot: true as const } : {}),
              };
              outElements.push(element);
              elements.set(element.id, { id: element.id, page, frame, ref: item.ref, frameId, element });
              pieces.push({ kind: 'frameStart', element });
              if (child) stitch(child, element.bounds.x, element.bounds.y, frameId, element.id);
              pieces.push({ kind: 'frameEnd' });
              break;
            }
            case 'h':
              pieces.push({ kind: 'heading', level: item.level });
              break;
            case 'img':
              pieces.push({ kind: 'image', alt: item.name });
              break;
            case 'in':
            case 'out':
              break;
            default: {
              const unreachable: never = item;
              throw new Error(`observe: unknown item ${JSON.stringify(unreachable)}`);
            }
          }
        }
      };
      const main = page.mainFrame();
      stitch(main, 0, 0, undefined, undefined);

      const mainRaw = rawOf.get(main);
      const scroll = mainRaw
        ? { x: mainRaw.scroll[0], y: mainRaw.scroll[1], width: mainRaw.scroll[2], height: mainRaw.scroll[3], viewportWidth: mainRaw.scroll[4], viewportHeight: mainRaw.scroll[5] }
        : { x: 0, y: 0, width: 0, height: 0, viewportWidth: 0, viewportHeight: 0 };
      const title = mainRaw?.title ?? '';
      const url = mainRaw?.url ?? mainUrl;
      const text = serializeObservation(
        { url, title, scroll, tabs: extras.tabs, dialogs: extras.dialogs, ...(mainRaw ? {} : { note: 'The page did not answer in time; observe again.' }) },
        pieces,
      );
      return {
        url,
        title,
        scroll,
        tabs: extras.tabs,
        dialogs: extras.dialogs,
        frames: observedFrames,
        elements: outElements,
        text,
        ...(options.countTokens ? { tokens: await countTokens(text) } : {}),
        nodeCount,
        takenAt: new Date().toISOString(),
        durationMs: Math.round(performance.now() - started),
      };
    },
  };
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
