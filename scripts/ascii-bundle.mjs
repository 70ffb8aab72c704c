// Makes the bundle's text ASCII. One non-ASCII character anywhere makes Node read the
// whole 2 MB file as a two-byte string (UTF-8 decoding, and twice the source for V8 to
// hold): 15-20 ms of every command's start-up, against 1-2 ms for an ASCII file. esbuild
// already escapes strings and identifiers, but leaves regular expression literals as they
// are, and tagged templates (a tag may read the raw text). So: the non-ASCII characters of
// regular expression and string literals are written as \uXXXX escapes (the same pattern
// and the same string, in every mode: a surrogate pair escaped is one code point under the
// u flag), and one in a template or anywhere else fails the build, naming where, rather
// than being changed.
import ts from 'typescript'

const NON_ASCII = /[^\x00-\x7f]/

/** `token` (a literal's source text) with each non-ASCII UTF-16 unit escaped; `\é` becomes `\u00e9`, not `\\u00e9`. */
export function escapeNonAscii(token) {
  let out = ''
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i)
    if (code < 0x80) {
      out += token[i]
      continue
    }
    // an identity escape of the character (`\µ`, allowed outside the u flag) is the character itself
    let slashes = 0
    while (out.endsWith('\\'.repeat(slashes + 1))) slashes++
    if (slashes % 2 === 1) out = out.slice(0, -1)
    out += `\\u${code.toString(16).padStart(4, '0')}`
  }
  return out
}

/** The bundle's text made ASCII, or an error naming each place that cannot be. */
export function asciiBundle(code, file) {
  if (!NON_ASCII.test(code)) return code
  const source = ts.createSourceFile(file, code, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS)
  const edits = []
  const refused = []
  const where = (pos) => {
    const {line, character} = source.getLineAndCharacterOfPosition(pos)
    return `${file}:${line + 1}:${character + 1}`
  }
  const visit = (node) => {
    const kind = node.kind
    if (kind === ts.SyntaxKind.RegularExpressionLiteral || kind === ts.SyntaxKind.StringLiteral) {
      const start = node.getStart(source)
      const token = code.slice(start, node.end)
      if (NON_ASCII.test(token)) edits.push({start, end: node.end, text: escapeNonAscii(token)})
      return
    }
    if (
      kind === ts.SyntaxKind.NoSubstitutionTemplateLiteral ||
      kind === ts.SyntaxKind.TemplateHead ||
      kind === ts.SyntaxKind.TemplateMiddle ||
      kind === ts.SyntaxKind.TemplateTail
    ) {
      const start = node.getStart(source)
      if (NON_ASCII.test(code.slice(start, node.end)))
        refused.push(`${where(start)}: a template (its raw text may be read: write the character as an entity or an escape in the source)`)
      return
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  edits.sort((a, b) => a.start - b.start)
  // a character no edit covers (in an identifier or a comment): said where it is in the text as given
  const uncovered = /[^\x00-\x7f]/g
  for (let found = uncovered.exec(code); found && refused.length === 0; found = uncovered.exec(code))
    if (!edits.some((e) => found.index >= e.start && found.index < e.end))
      refused.push(`${where(found.index)}: outside a string or regular expression`)
  let out = ''
  let at = 0
  for (const edit of edits) {
    out += code.slice(at, edit.start) + edit.text
    at = edit.end
  }
  out += code.slice(at)
  if (refused.length > 0) throw new Error(`non-ASCII characters the bundle cannot escape:\n  ${refused.join('\n  ')}`)
  return out
}
