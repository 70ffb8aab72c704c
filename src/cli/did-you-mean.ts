import {closestNames} from '../core/validation.js'

/**
 * Suggestions for a mistyped command: the known commands and topics closest to
 * what was typed (closestNames: edit distance, and what starts with it). rigor's own rather
 * than @oclif/plugin-not-found, which offers to run its guess after a y/n prompt
 * (a guessed `deploy` or `rules replay` would change the state) and exits 127.
 */
export function suggestCommands(typed: string, known: readonly string[], max = 3): string[] {
  const byForm = new Map(known.map((name) => [normalise(name), name]))
  const close = closestNames(normalise(typed), byForm.keys(), Number.POSITIVE_INFINITY).map((form) => byForm.get(form)!)
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
