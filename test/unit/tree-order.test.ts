import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {compareTreeEntries, FILE_MODE, TREE_MODE, type TreeEntry} from '../../src/core/git/objects.js'

/** git's own rule, literally: the UTF-8 bytes of the name, a directory's with "/" after it. */
const gitOrder = (a: TreeEntry, b: TreeEntry) =>
  Buffer.compare(Buffer.from(a.mode === TREE_MODE ? `${a.name}/` : a.name), Buffer.from(b.mode === TREE_MODE ? `${b.name}/` : b.name))

const name = fc.oneof(
  fc.stringMatching(/^[a-z0-9._-]{1,6}$/),
  fc.string({unit: 'grapheme', minLength: 1, maxLength: 4}).filter((s) => !s.includes('/') && !s.includes('\0')),
  fc
    .string({unit: 'binary', minLength: 1, maxLength: 4})
    .filter((s) => !s.includes('/') && !s.includes('\0') && Buffer.from(s).toString() === s),
)
const entry = fc.record({name, mode: fc.constantFrom(FILE_MODE, TREE_MODE), oid: fc.constant('0'.repeat(40))})

describe("git's tree order", () => {
  it('compares as the UTF-8 bytes do, directories as if followed by "/", non-ASCII and prefixes included', () => {
    fc.assert(
      fc.property(entry, entry, (a, b) => {
        expect(Math.sign(compareTreeEntries(a, b))).toBe(Math.sign(gitOrder(a, b)))
      }),
      {numRuns: 5000},
    )
    // the cases that decide: a prefix, a file against a directory of one name, a surrogate pair against a character above it
    const e = (n: string, mode = FILE_MODE) => ({name: n, mode, oid: ''})
    expect(Math.sign(compareTreeEntries(e('a'), e('a.txt')))).toBe(-1)
    expect(Math.sign(compareTreeEntries(e('a', TREE_MODE), e('a.txt')))).toBe(1)
    expect(Math.sign(compareTreeEntries(e('a', TREE_MODE), e('a0')))).toBe(-1)
    expect(Math.sign(compareTreeEntries(e('😀'), e('\uffff')))).toBe(Math.sign(gitOrder(e('😀'), e('\uffff'))))
  })
})
