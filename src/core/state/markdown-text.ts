import {controlsEscaped} from '../validation.js'

/**
 * Text put into a markdown document rigor commits (an audit report), rendered
 * on GitHub as the text it is. Much of it comes from a runner (an accounting
 * convention, a date from its CSV files, why a re-run failed): unescaped, a line
 * break there could start a heading ("## Reviewer sign-off"), a `<!--` hide the
 * rest of the report, `![](https://...)` load an outside image, `|` break a
 * table. So no line can start here (line breaks and other control characters
 * are written as escapes), and every character that opens inline markup is
 * escaped with a backslash, which GitHub does not show. `_` between letters
 * (names such as allow_unverified_returns) opens nothing and is left as it is,
 * so the plain-text diff stays readable.
 */
export function markdownText(text: string): string {
  const inline = text
    .replace(/[\\`*[\]<~]/g, '\\$&')
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
    // what starts a heading, a quote, a list or a setext underline where the text starts a line
    .replace(/^([#>+=-]|\d+[.)])/, (marker) => `${marker.slice(0, -1)}\\${marker.slice(-1)}`)
  return controlsEscaped(inline)
}

/** Text for a cell of a markdown table: markdownText, and `|` escaped so it cannot end the cell. */
export function markdownCell(text: string): string {
  return markdownText(text).replace(/\|/g, '\\|')
}
