// "Did you mean …?" for names that are almost right.

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = previous[0] as number;
    previous[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = previous[j] as number;
      previous[j] = Math.min(above + 1, (previous[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length] as number;
}

/** The candidate closest to `name` when it is close enough to be a likely typo. */
export function findClosestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  // Allow about one edit per three characters, at least one.
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance && distance < name.length) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** ` (did you mean 'x'?)` or the empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const closest = findClosestName(name, candidates);
  return closest === undefined ? '' : ` (did you mean '${closest}'?)`;
}
