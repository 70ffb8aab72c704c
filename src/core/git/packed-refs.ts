import {isObjectId, type ObjectFormat} from './object-format.js'

/**
 * The object `ref` points at according to the text of git's `packed-refs` file,
 * or undefined when the file does not hold it plainly: not there, or an
 * annotated tag (a `^` peel line follows), which git itself must peel.
 *
 * After `git gc` (which rigor runs on a large workspace) and in every fresh
 * clone the branch refs are packed, and reading one by `git rev-parse` was a
 * process start before each read of the state: five of them for one `status`.
 * Each line is `<object id> <ref name>`; `#` lines are the file's traits.
 */
export function packedRefTarget(text: string, ref: string, format: ObjectFormat): string | undefined {
  const needle = ` ${ref}\n`
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
    const lineStart = text.lastIndexOf('\n', at - 1) + 1
    const oid = text.slice(lineStart, at)
    // the space before the name anchors it at the name's start; what stands before it must be a whole id
    if (!isObjectId(oid, format)) continue
    return text[at + needle.length] === '^' ? undefined : oid
  }
  return undefined
}
