// Tracking the Chromium processes a pool or session started, through the owner marker switch on the
// browser process and the parent links of its children in /proc. Used on disposal as a safety net
// after Playwright's own close, and by tests to prove that nothing is left running. Linux only:
// elsewhere the functions find nothing and Playwright's close is all there is.
import { readFileSync, readdirSync } from 'node:fs';

function readProc(pid: string, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

function listPids(): string[] {
  try {
    return readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
}

function parentOf(pid: string): string | undefined {
  const stat = readProc(pid, 'stat');
  if (!stat) return undefined;
  // The command name in field 2 may hold spaces and parentheses; fields after the last ')' are fixed.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[1];
}

function isZombie(pid: string): boolean {
  const stat = readProc(pid, 'stat');
  if (!stat) return true;
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

/** Live processes whose command line contains `marker`, with all their descendants. */
export function findMarkedProcesses(marker: string): number[] {
  const pids = listPids();
  const roots = new Set<string>();
  for (const pid of pids) {
    const cmdline = readProc(pid, 'cmdline');
    if (cmdline?.split('\0').includes(marker)) roots.add(pid);
  }
  if (roots.size === 0) return [];
  const children = new Map<string, string[]>();
  for (const pid of pids) {
    const parent = parentOf(pid);
    if (parent) children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const found = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const pid = queue.pop() as string;
    if (found.has(pid)) continue;
    found.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return [...found].filter((pid) => !isZombie(pid)).map(Number);
}

/** Sends SIGKILL to every live process carrying `marker` and to their descendants; returns how many were signalled. */
export function killMarkedProcesses(marker: string): number {
  let killed = 0;
  for (const pid of findMarkedProcesses(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
      killed += 1;
    } catch {
      // Already gone.
    }
  }
  return killed;
}
