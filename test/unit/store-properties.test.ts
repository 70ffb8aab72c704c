import {execFileSync} from 'node:child_process'
import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {checkDocument, documentChecksum, sha256, stripUndefined, withChecksum} from '../../src/core/state/checksum.js'
import {parseYaml, validate} from '../../src/core/state/documents.js'
import {InputError} from '../../src/core/errors.js'
import {NodeFile} from '../../src/core/schemas/node.js'
import {Repo} from '../../src/core/git/repo.js'
import {editTree} from '../../src/core/git/tree-edit.js'
import {diffTrees, listTreeBlobs} from '../../src/core/git/tree-walk.js'
import {classifyStatePath, STATE_PATHSPECS} from '../../src/core/state/layout.js'
import {nodeIdProblem} from '../../src/core/state/ids.js'
import {gitRepo, type TempRepo} from '../helpers/git-repo.js'

const segment = fc
  .stringMatching(/^[a-z0-9][a-z0-9._-]{0,6}$/)
  .filter((s) => !['out', 'node.yaml', 'verdict.yaml'].includes(s) && !s.includes('..'))

describe('node ids', () => {
  it('accepts every lowercase lineage path up to 16 deep', () => {
    fc.assert(fc.property(fc.array(segment, {minLength: 1, maxLength: 16}), (parts) => nodeIdProblem(parts.join('/')) === undefined))
  })

  it('rejects walking the file system, absolute paths, odd characters and depth over 16', () => {
    fc.assert(
      fc.property(
        fc.array(segment, {minLength: 0, maxLength: 5}),
        fc.constantFrom('..', '.', '', 'A', 'a b', 'x/', '/abs'),
        (parts, bad) => {
          const id = [...parts, bad].join('/')
          return nodeIdProblem(id) !== undefined
        },
      ),
    )
    expect(nodeIdProblem(Array.from({length: 17}, () => 'a').join('/'))).toContain('16')
  })

  it('a node file names the field that holds a bad id, with the rule it breaks', () => {
    const node = {
      id: 'a/b',
      team: 'default',
      status: 'pending',
      run: {command: ['true']},
      created_at: '2026-12-04T00:00:00.000Z',
      checksum: `sha256:${'0'.repeat(64)}`,
    }
    expect(validate(NodeFile, node, 'n.yaml').id).toBe('a/b')
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{id: 'A/b'}, 'id', 'must match [a-z0-9]'],
      [{requires: ['a/c', 'x/../y']}, 'requires[1]', 'may not walk the file system'],
      [{parent: '/abs'}, 'parent', 'absolute path'],
      [{spawned_by: {rule: 'r', from: 'a//b'}}, 'spawned_by.from', 'empty segment'],
      [{family: 'Big'}, 'family', 'must match [a-z0-9]'],
    ]
    for (const [change, field, words] of cases) {
      const err = (() => {
        try {
          validate(NodeFile, {...node, ...change}, 'n.yaml')
        } catch (caught) {
          return caught as InputError
        }
        throw new Error(`accepted ${JSON.stringify(change)}`)
      })()
      expect(err).toBeInstanceOf(InputError)
      expect(err.field, JSON.stringify(change)).toBe(field)
      expect(err.message).toContain(words)
    }
  })
})

describe('checksums', () => {
  const value = fc.oneof(fc.integer(), fc.double({noNaN: true, noDefaultInfinity: true}), fc.string(), fc.boolean(), fc.constant(null))
  const doc = fc.dictionary(
    fc.stringMatching(/^[a-z_]{1,8}$/),
    fc.oneof(value, fc.array(value, {maxLength: 3}), fc.dictionary(fc.stringMatching(/^[a-z]{1,4}$/), value, {maxKeys: 3})),
    {minKeys: 1, maxKeys: 6},
  )

  it('are sha256 over the JCS form without the checksum field; undefined members count as absent', () => {
    // RFC 8785: keys sorted by UTF-16 code units, no white space, numbers as ECMAScript writes them
    const expected = sha256(`{"a":[1,null,"x"],"b":{"c":1e+21,"d":true},"é":0.5}`)
    expect(
      documentChecksum({é: 0.5, b: {d: true, c: 1e21, e: undefined}, a: [1, undefined, 'x'], z: undefined, checksum: 'sha256:old'}),
    ).toBe(expected)
    fc.assert(
      fc.property(doc, fc.array(fc.nat(), {maxLength: 3}), (d, where) => {
        // the same document with undefined members put in at the top and inside nested mappings
        const padded: Record<string, unknown> = {...d}
        for (const at of where) {
          const key = Object.keys(d)[at % Object.keys(d).length]!
          const v = padded[key]
          if (v && typeof v === 'object' && !Array.isArray(v)) padded[key] = {...v, [`u${at}`]: undefined}
          else padded[`u${at}`] = undefined
        }
        return documentChecksum(padded) === documentChecksum(d) && documentChecksum(stripUndefined(padded)) === documentChecksum(d)
      }),
      {numRuns: 200},
    )
  })

  it('survive YAML formatting and key order, and break on any value change', () => {
    fc.assert(
      fc.property(doc, (d) => {
        const signed = withChecksum(d)
        const reordered = Object.fromEntries(Object.entries(signed).reverse())
        const text = stringify(reordered, {indent: 4, lineWidth: 0})
        const parsed = parseYaml(text, 'x.yaml') as Record<string, unknown>
        if (!checkDocument(parsed).ok) return false
        const key = Object.keys(d)[0]!
        const changed = {...parsed, [key]: JSON.stringify(d[key]) + 'x'}
        return !checkDocument(changed).ok && documentChecksum(parsed) === signed.checksum
      }),
      {numRuns: 200},
    )
  })
})

describe('trees written in process', () => {
  let repo: TempRepo
  let git: Repo
  beforeAll(async () => {
    repo = gitRepo()
    git = await Repo.open(repo.dir)
  })
  afterAll(() => {
    git.close()
    repo.cleanup()
  })

  const path = fc.array(segment, {minLength: 1, maxLength: 4}).map((p) => p.join('/'))

  /** What changed between two trees as diffTrees says, and as `git diff-tree` says: "A path" (added or changed) or "D path". */
  const ourDiff = async (a: string, b: string) => (await diffTrees(git, a, b)).map((c) => `${c.oid ? 'A' : 'D'} ${c.path}`).sort()
  const gitDiff = (a: string, b: string) =>
    execFileSync('git', ['diff-tree', '-r', '--no-renames', '--name-status', a, b], {cwd: repo.dir, encoding: 'utf8'})
      .split('\n')
      .filter(Boolean)
      .map((line) => `${line.startsWith('D') ? 'D' : 'A'} ${line.split('\t')[1]}`)
      .sort()

  it('equal what git itself lists, pass git fsck, and apply deletions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(path, fc.string({maxLength: 20}), {minKeys: 1, maxKeys: 12}),
        fc.integer({min: 0, max: 3}),
        async (files, drop) => {
          // a path cannot be both a file and a directory
          const paths = Object.keys(files).filter((p, _, all) => !all.some((q) => q.startsWith(`${p}/`)))
          const first = await editTree(git, undefined, new Map(paths.map((p) => [p, files[p]!])))
          const removed = paths.slice(0, drop)
          const second = await editTree(git, first, new Map(removed.map((p) => [p, null])))
          const listed = (tree: string) =>
            execFileSync('git', ['ls-tree', '-r', '--name-only', tree], {cwd: repo.dir, encoding: 'utf8'})
              .split('\n')
              .filter(Boolean)
              .sort()
          const expectAfter = paths.filter((p) => !removed.includes(p)).sort()
          if (JSON.stringify(listed(first)) !== JSON.stringify([...paths].sort())) return false
          if (expectAfter.length > 0 && JSON.stringify(listed(second)) !== JSON.stringify(expectAfter)) return false
          for (const p of expectAfter.slice(0, 2)) {
            if (execFileSync('git', ['cat-file', 'blob', `${second}:${p}`], {cwd: repo.dir, encoding: 'utf8'}) !== files[p]) return false
          }
          return true
        },
      ),
      {numRuns: 40},
    )
    execFileSync('git', ['fsck', '--no-dangling', '--strict'], {cwd: repo.dir})
  })

  it('edit a big directory as git would, round after round: ids rewritten in place, names added and removed', async () => {
    const names = fc.uniqueArray(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,5}$/), {minLength: 17, maxLength: 40})
    const round = fc.array(fc.tuple(fc.nat(), fc.oneof(fc.string({maxLength: 6}), fc.constant(null), fc.constant('dir'))), {
      minLength: 1,
      maxLength: 4,
    })
    await fc.assert(
      fc.asyncProperty(names, fc.array(round, {minLength: 1, maxLength: 4}), async (dirs, rounds) => {
        // node directories under one parent, as experiments/<lineage>/<node>/node.yaml are
        const expected = new Map(dirs.map((d, i) => [`exp/${d}/node.yaml`, `v0 ${i}`]))
        let tree = await editTree(git, undefined, new Map(expected))
        for (const edits of rounds) {
          const changes = new Map<string, string | null>()
          for (const [pick, content] of edits) {
            const dir = dirs[pick % dirs.length]!
            // content: a new version (same mode: the in-place path), null: the node removed, 'dir': a file beside it
            if (content === 'dir') changes.set(`exp/${dir}/verdict.yaml`, 'verdict')
            else changes.set(`exp/${dir}/node.yaml`, content)
          }
          const next = await editTree(git, tree, changes)
          for (const [p, c] of changes) {
            if (c === null) expected.delete(p)
            else expected.set(p, c)
          }
          expect(await ourDiff(tree, next)).toEqual(gitDiff(tree, next))
          tree = next
        }
        const listed = execFileSync('git', ['ls-tree', '-r', tree], {cwd: repo.dir, encoding: 'utf8'}).split('\n').filter(Boolean)
        expect(listed.map((l) => l.split('\t')[1]).sort()).toEqual([...expected.keys()].sort())
        for (const line of listed.slice(0, 3)) {
          const [meta, p] = line.split('\t')
          const blob = execFileSync('git', ['cat-file', 'blob', meta!.split(' ')[2]!], {cwd: repo.dir, encoding: 'utf8'})
          expect(blob).toBe(expected.get(p!))
        }
      }),
      {numRuns: 30},
    )
    // every tree written is one git accepts: sorted, well formed
    execFileSync('git', ['fsck', '--no-dangling', '--strict'], {cwd: repo.dir})
  })

  it('against no tree, list every blob git lists, in diffTrees order, skipping the directories refused', async () => {
    /** a directory's own blobs, then each subdirectory's, depth first: the order a diff against an empty tree gives */
    const blobsFirst = (tree: string, prefix: string, descend: (dir: string) => boolean): string[] => {
      const entries = execFileSync('git', ['ls-tree', tree], {cwd: repo.dir, encoding: 'utf8'})
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [meta, name] = line.split('\t')
          const [, type, oid] = meta!.split(' ')
          return {type: type!, oid: oid!, path: prefix ? `${prefix}/${name}` : name!}
        })
      return [
        ...entries.filter((e) => e.type !== 'tree').map((e) => `A ${e.path}`),
        ...entries.filter((e) => e.type === 'tree' && descend(e.path)).flatMap((e) => blobsFirst(e.oid, e.path, descend)),
      ]
    }
    // a repository opened afresh: the trees are read from the object store, not known from writing them
    const reader = await Repo.open(repo.dir)
    try {
      await fc.assert(
        fc.asyncProperty(fc.dictionary(path, fc.string({maxLength: 8}), {minKeys: 1, maxKeys: 14}), fc.nat(3), async (files, cut) => {
          const paths = Object.keys(files).filter((p, _, all) => !all.some((q) => q.startsWith(`${p}/`)))
          const tree = await editTree(git, undefined, new Map(paths.map((p) => [p, files[p]!])))
          // cut 0: every directory; else those ending in `a` below depth `cut` are refused (as a node's out/ is)
          const descend = (dir: string) => cut === 0 || dir.split('/').length < cut || !dir.endsWith('a')
          const listed = (await diffTrees(reader, undefined, tree, '', descend)).map((c) => `A ${c.path}`)
          expect(listed).toEqual(blobsFirst(tree, '', descend))
          if (cut === 0) {
            const all = execFileSync('git', ['ls-tree', '-r', '--name-only', tree], {cwd: repo.dir, encoding: 'utf8'})
              .split('\n')
              .filter(Boolean)
            expect([...listed].sort()).toEqual(all.map((p) => `A ${p}`).sort())
          }
        }),
        {numRuns: 40},
      )
    } finally {
      reader.close()
    }
  })

  it("list the state files of a tree through git's pathspecs exactly as a walk that skips out/ finds them", async () => {
    // node directories, their state files, out/ directories (at any depth, experiments/out included) holding look-alikes
    const stateTree = fc.uniqueArray(
      fc.tuple(
        fc.array(fc.constantFrom('a', 'b', 'out', 'c.d'), {minLength: 0, maxLength: 3}),
        fc.constantFrom('node.yaml', 'verdict.yaml', 'other.yaml', 'node.yaml.bak'),
      ),
      {minLength: 1, maxLength: 12, selector: ([dirs, file]) => [...dirs, file].join('/')},
    )
    const reader = await Repo.open(repo.dir)
    try {
      await fc.assert(
        fc.asyncProperty(stateTree, async (files) => {
          const paths = files.map(([dirs, file]) => ['experiments', ...dirs, file].join('/'))
          // a path cannot be both a file and a directory: the files here never share a name with a directory
          const tree = await editTree(git, undefined, new Map(paths.map((p) => [p, p])))
          const exp = execFileSync('git', ['rev-parse', `${tree}:experiments`], {cwd: repo.dir, encoding: 'utf8'}).trim()
          const state = (list: Array<{path: string; oid: string | undefined}>) =>
            list
              .filter((c) => classifyStatePath(c.path))
              .map((c) => `${c.path} ${c.oid}`)
              .sort()
          const walked = await diffTrees(reader, undefined, exp, 'experiments', (dir) => !dir.endsWith('/out'))
          const listed = await listTreeBlobs(reader, exp, 'experiments', STATE_PATHSPECS)
          expect(state(listed)).toEqual(state(walked))
          // a user's environment cannot turn the pathspec magic off
          process.env.GIT_LITERAL_PATHSPECS = '1'
          try {
            expect(state(await listTreeBlobs(reader, exp, 'experiments', STATE_PATHSPECS))).toEqual(state(walked))
          } finally {
            delete process.env.GIT_LITERAL_PATHSPECS
          }
          // and git lists nothing a walk would not reach
          expect(listed.every((c) => !`/${c.path}`.includes('/out/'))).toBe(true)
        }),
        {numRuns: 40},
      )
    } finally {
      reader.close()
    }
  })

  it('differ as git diff-tree says, a file turned into a directory and back included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(path, fc.string({maxLength: 8}), {minKeys: 1, maxKeys: 10}),
        fc.dictionary(path, fc.option(fc.string({maxLength: 8}), {nil: null}), {minKeys: 1, maxKeys: 6}),
        async (files, edits) => {
          const paths = Object.keys(files).filter((p, _, all) => !all.some((q) => q.startsWith(`${p}/`)))
          const first = await editTree(git, undefined, new Map(paths.map((p) => [p, files[p]!])))
          // an edit on a path that is a directory in the first tree, or below a file of it, would be refused: skip those
          const editable = Object.entries(edits).filter(
            ([p]) =>
              !paths.some((q) => q.startsWith(`${p}/`) || p.startsWith(`${q}/`)) && !Object.keys(edits).some((q) => q.startsWith(`${p}/`)),
          )
          const second = await editTree(git, first, new Map(editable))
          expect(await ourDiff(first, second)).toEqual(gitDiff(first, second))
        },
      ),
      {numRuns: 40},
    )
    // a file that becomes a directory sorts apart from it ("a" < "a.txt" < "a/"), and back
    const one = await editTree(
      git,
      undefined,
      new Map([
        ['a', '1'],
        ['a.txt', '2'],
      ]),
    )
    const two = await editTree(
      git,
      one,
      new Map<string, string | null>([
        ['a', null],
        ['a/b', '3'],
      ]),
    )
    const changes = async (x: string, y: string) => (await diffTrees(git, x, y)).map((c) => `${c.oid ? 'A' : 'D'} ${c.path}`).sort()
    expect(await changes(one, two)).toEqual(['A a/b', 'D a'])
    expect(await changes(two, one)).toEqual(['A a', 'D a/b'])
  })
})
