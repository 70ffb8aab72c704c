/**
 * HTML built so that escaping is the default: `html` escapes every value put
 * into it unless the value is already markup made by `html` (or `trusted`, for
 * the few fixed strings rigor writes itself, such as a rendered SVG). Node ids,
 * params, notes, team names, reasons and file paths come from users and
 * runners; none of them can reach the page as markup.
 */

import {hasControls, linesEscaped} from '../../validation.js'

const ESCAPES: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;'}

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

/**
 * Text for an HTML text node or a quoted attribute value. Control characters
 * and bidirectional overrides are written as the escapes the terminal shows
 * (controlsEscaped; line breaks and tabs kept, for notes in a <pre>): a
 * runner's "ok\u202eLIAF" would otherwise read "okFAIL" on the page.
 */
export function escapeHtml(value: string): string {
  // most strings need nothing: a test is cheaper than a replace that builds a new string
  const shown = hasControls(value) ? linesEscaped(value) : value
  return SPECIAL.test(shown) ? shown.replace(SPECIALS, (char) => ESCAPES[char]!) : shown
}

const SPECIAL = /[&<>"'`]/
const SPECIALS = /[&<>"'`]/g

type Part = Html | string | number | boolean | null | undefined | readonly Part[]

function partText(part: Part): string {
  if (part === null || part === undefined || part === false) return ''
  if (part instanceof Html) return part.text
  if (Array.isArray(part)) return part.map(partText).join('')
  return escapeHtml(String(part))
}

/** A template whose interpolations are escaped (arrays are joined, null/undefined/false leave nothing). */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!
  values.forEach((value, i) => {
    out += partText(value) + strings[i + 1]!
  })
  return new Html(out)
}

/** Markup rigor wrote itself (an SVG it rendered, a fixed snippet): never pass state through this. */
export const trusted = (text: string): Html => new Html(text)

/** Parts joined into one piece of markup, each escaped as `html` would. */
export const joinHtml = (parts: readonly Part[], separator: Html | string = ''): Html =>
  new Html(parts.map(partText).join(partText(separator)))
