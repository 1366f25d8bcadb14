// Chromium command-line switches used for every browser this package starts.

/** Switches that keep a headless Chromium quiet and container-friendly (no sandbox, no background traffic). */
export const DEFAULT_CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * A switch Chromium ignores but that marks the processes one pool or session started, so disposal
 * can find and kill every one of them even if Playwright's own shutdown fails.
 */
export function ownerMarkerArg(ownerId: string): string {
  return `--petrel-owner=${ownerId}`;
}
