/**
 * Suggestions for a mistyped command: the known commands and topics closest to
 * what was typed (edit distance, and what starts with it). rigor's own rather
 * than @oclif/plugin-not-found, which offers to run its guess after a y/n prompt
 * (a guessed `deploy` or `rules replay` would change the state) and exits 127.
 */
export function suggestCommands(typed: string, known: readonly string[], max = 3): string[] {
  const target = normalise(typed)
  if (!target) return []
  const scored = known.map((name) => {
    const candidate = normalise(name)
    const prefix = candidate.startsWith(target)
    return {name, distance: prefix ? 0.5 : editDistance(target, candidate)}
  })
  // a third of the word may be wrong, at least one letter and at most three
  const allowed = Math.min(3, Math.max(1, Math.floor(target.length / 3)))
  const close = scored
    .filter((s) => s.distance <= allowed)
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .map((s) => s.name)
  // a topic stands for its commands: `rigor hand` suggests `handoff`, not each of its commands
  return close.filter((name) => !close.some((other) => name.startsWith(`${other} `))).slice(0, max)
}

/** Command ids are written `stats:dsr` inside oclif and `stats dsr` by people. */
function normalise(id: string): string {
  return id
    .trim()
    .toLowerCase()
    .replace(/[:\s]+/g, ' ')
}

/** Levenshtein distance, with a swap of two neighbours counting as one edit (`stauts`). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({length: a.length + 1}, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}
