import {editDistance} from '../core/validation.js'

export {editDistance}

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
