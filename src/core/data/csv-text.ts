import {parse, type Options} from 'csv-parse/sync'
import {InputError} from '../errors.js'

/**
 * rigor's CSV readers (price files, returns files) read comma-separated UTF-8 text. A
 * spreadsheet saved under a decimal comma writes `date;close`, and a tab-separated
 * export `date<TAB>close`: read as CSV, its header is one column with a strange
 * name, and the reader would complain about a missing date or return column and
 * ask for the wrong fix. The header line tells which it is.
 */

const OTHER_SEPARATORS = [';', '\t', '|'] as const

/** The separator the header line uses instead of a comma, or undefined when it has a comma or none of the others. */
export function otherSeparator(text: string): string | undefined {
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0
  // the header is the first line with anything on it (csv-parse skips empty lines)
  for (;;) {
    const end = text.indexOf('\n', start)
    const line = text.slice(start, end === -1 ? text.length : end)
    if (line.trim() !== '' || end === -1) {
      if (line.includes(',')) return undefined
      return OTHER_SEPARATORS.find((separator) => line.includes(separator))
    }
    start = end + 1
  }
}

/**
 * Refuses what would be misread as CSV, saying what it is and the fix: UTF-16 text (Excel's "Unicode text", every
 * other byte a NUL when read as UTF-8, so each date reads as no date) or a binary file, and a header separated by
 * something other than commas.
 */
export function requireCsvText(text: string, file: string): void {
  if (text.includes('\u0000'))
    throw new InputError('holds NUL bytes: it is UTF-16 text (a spreadsheet\'s "Unicode text") or not text at all', {
      file,
      fix: 'save it as CSV in UTF-8',
    })
  const separator = otherSeparator(text)
  if (separator === undefined) return
  const shown = separator === '\t' ? 'tabs' : `"${separator}"`
  throw new InputError(`has its columns separated by ${shown}, not commas`, {
    file,
    fix: 'save it as comma-separated CSV, with a point for decimals (date,close then 2024-01-02,101.25)',
  })
}

/**
 * The source line of each record of `text` after the header, as `parse(text, options)` reads them: a skipped
 * empty line or a quoted cell over several lines moves every later record down, so a record's index is no line
 * number. Found by parsing again with line numbers on first use (only a message needs one).
 */
export function sourceLines(text: string, options: Options): (row: number) => number {
  let lines: number[] | undefined
  return (row) => {
    lines ??= (parse(text, {...options, info: true}) as unknown as {info: {lines: number}}[]).slice(1).map((r) => r.info.lines)
    return lines[row] ?? Number.NaN
  }
}
