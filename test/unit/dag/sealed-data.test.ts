import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import fc from 'fast-check'
import {afterEach, describe, expect, it} from 'vitest'
import {sandboxArgv} from '../../../src/core/dag/sandbox.js'
import {shuffledOrder} from '../../../src/core/auditor/data-variants.js'
import {permutationAlteration} from '../../../src/core/auditor/permuted-data.js'
import {auditDeps, declaredDataPaths, sealDeps, sealedDataOverlays, truncationDeps, VIEW_FROM} from '../../../src/core/dag/sealed-data.js'
import {TableCache} from '../../../src/core/state/data-cuts.js'
import {Repo} from '../../../src/core/git/repo.js'
import type {NodeFile} from '../../../src/core/schemas/index.js'
import type {NodeRecord, Snapshot} from '../../../src/core/state/store.js'
import {gitRepo, type TempRepo} from '../../helpers/git-repo.js'

const record = (id: string, data: string | undefined): NodeRecord => ({
  id,
  nodeOid: `${id}-${data}`,
  node: {id, ...(data === undefined ? {} : {data})} as unknown as NodeFile,
})
const snapshot = (nodes: Map<string, NodeRecord>): Snapshot => ({commit: undefined, tree: undefined, nodes})

describe('the data paths the nodes declare, kept from commit to commit', () => {
  it('equal what is counted from every node, after any run of commits', () => {
    const data = fc.option(fc.constantFrom('a.csv', 'b.csv', 'data/c.csv'), {nil: undefined})
    const change = fc.tuple(fc.integer({min: 0, max: 12}), fc.option(data, {nil: null}))
    fc.assert(
      fc.property(
        fc.array(data, {maxLength: 12}),
        fc.array(fc.array(change, {minLength: 1, maxLength: 4}), {maxLength: 6}),
        (initial, commits) => {
          let nodes = new Map(initial.map((d, i) => [`n${i}`, record(`n${i}`, d)]))
          let paths = declaredDataPaths.build(snapshot(nodes))
          for (const changes of commits) {
            const next = new Map(nodes)
            for (const [i, d] of changes) {
              if (d === null) next.delete(`n${i}`)
              else next.set(`n${i}`, record(`n${i}`, d))
            }
            const prev = paths
            const prevCopy = new Map(prev)
            paths = declaredDataPaths.update(prev, snapshot(next), {from: nodes, to: next, ids: [...changes.map(([i]) => `n${i}`), 'n0']})
            // a new value, never the last one changed: older snapshots may hold it
            expect(prev).toEqual(prevCopy)
            expect(new Map(paths)).toEqual(new Map(declaredDataPaths.build(snapshot(next))))
            nodes = next
          }
        },
      ),
    )
  })

  it('a commit that changes no data path hands back the same map', () => {
    const nodes = new Map([['n0', record('n0', 'a.csv')]])
    const paths = declaredDataPaths.build(snapshot(nodes))
    const next = new Map([['n0', {...record('n0', 'a.csv'), nodeOid: 'claimed'}]])
    expect(declaredDataPaths.update(paths, snapshot(next), {from: nodes, to: next, ids: ['n0']})).toBe(paths)
  })
})

const listNames = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : [])

const PRICES = `date,close\n${Array.from({length: 10}, (_, i) => `2026-01-${String(i + 1).padStart(2, '0')},${100 + i}`).join('\n')}\n`

describe('the overlays that seal the other data files', () => {
  let repo: TempRepo
  let opened: Repo | undefined
  afterEach(async () => {
    await opened?.close()
    opened = undefined
    repo?.cleanup()
  })

  it('each declared file in the working tree shows its committed research cut; one that cannot be cut shows empty; the own and the absent are left alone', async () => {
    repo = gitRepo()
    for (const name of ['own.csv', 'other.csv', 'committed-elsewhere.csv']) writeFileSync(join(repo.dir, name), PRICES)
    writeFileSync(join(repo.dir, 'notes.csv'), 'no,dates\n1,2\n')
    // dates and no prices (a macro series): cut all the same
    writeFileSync(join(repo.dir, 'macro.csv'), PRICES.replace('date,close', 'Date,value'))
    repo.git('add', '.')
    repo.git('commit', '-qm', 'data')
    const commit = repo.git('rev-parse', 'HEAD').trim()
    // changed in the working tree after the commit: the cut is of what is committed, never of the working tree
    writeFileSync(join(repo.dir, 'other.csv'), `${PRICES}2026-02-01,999\n`)
    writeFileSync(join(repo.dir, 'untracked.csv'), PRICES)
    opened = await Repo.open(repo.dir)
    const overlays = await sealedDataOverlays(
      sealDeps({repo: opened, root: repo.dir}, {fraction: 0.3}),
      ['other.csv', 'own.csv', 'notes.csv', 'macro.csv', 'untracked.csv', 'absent.csv'],
      commit,
      'own.csv',
    )
    const byTarget = new Map(overlays.map((o) => [o.target.slice(repo.dir.length + 1), o.source]))
    expect([...byTarget.keys()]).toEqual(['macro.csv', 'notes.csv', 'other.csv', 'untracked.csv'])
    expect(readFileSync(byTarget.get('macro.csv')!, 'utf8').trim().split('\n').at(-1)).toMatch(/^2026-01-07,/)
    // the first 7 of 10 rows: the last 30% sealed
    const cut = readFileSync(byTarget.get('other.csv')!, 'utf8').trim().split('\n')
    expect(cut.at(-1)).toMatch(/^2026-01-07,/)
    expect(cut).toHaveLength(8)
    // no dates to cut by, or not on the branch: hidden rather than shown whole
    expect(byTarget.get('notes.csv')).toBe('/dev/null')
    expect(byTarget.get('untracked.csv')).toBe('/dev/null')
  })

  it('a path through a symbolic link, or out of the workspace, is left alone: git holds no file there, and a link may lead anywhere', async () => {
    repo = gitRepo()
    mkdirSync(join(repo.dir, 'sub'))
    writeFileSync(join(repo.dir, 'sub', 'x.csv'), PRICES)
    symlinkSync('sub', join(repo.dir, 'linked'))
    symlinkSync('sub/x.csv', join(repo.dir, 'alias.csv'))
    // out of the workspace: were it shown empty, the host file behind it would be hidden from every run
    const outside = mkdtempSync(join(tmpdir(), 'rigor-outside-'))
    try {
      writeFileSync(join(outside, 'tool'), 'a host file\n')
      // and beside the workspace, by a path no node could have (validation.ts refuses `..`)
      const beside = `${repo.dir.split('/').pop()}-beside.csv`
      writeFileSync(join(repo.dir, '..', beside), PRICES)
      symlinkSync(outside, join(repo.dir, 'ext'))
      repo.git('add', '.')
      repo.git('commit', '-qm', 'data and links')
      opened = await Repo.open(repo.dir)
      const overlays = await sealedDataOverlays(
        sealDeps({repo: opened, root: repo.dir}, {fraction: 0.3}),
        ['sub/x.csv', 'linked/x.csv', 'alias.csv', 'ext/tool', `../${beside}`],
        repo.git('rev-parse', 'HEAD').trim(),
        undefined,
      )
      expect(overlays.map((o) => o.target.slice(repo.dir.length + 1))).toEqual(['sub/x.csv'])
    } finally {
      rmSync(join(repo.dir, '..', `${repo.dir.split('/').pop()}-beside.csv`), {force: true})
      rmSync(outside, {recursive: true, force: true})
    }
  })

  it('a directory of many declared files is one view: their cuts, its other entries bound back, its links kept; the sandbox shows it so', async () => {
    repo = gitRepo()
    const data = join(repo.dir, 'data')
    mkdirSync(join(data, 'sub'), {recursive: true})
    const names = Array.from({length: VIEW_FROM + 2}, (_, i) => `asset${i}.csv`)
    for (const name of [...names, 'own.csv']) writeFileSync(join(data, name), PRICES)
    writeFileSync(join(data, 'README.md'), 'about the data\n')
    writeFileSync(join(data, 'sub', 'inner.txt'), 'inner\n')
    symlinkSync('asset0.csv', join(data, 'latest.csv'))
    repo.git('add', '.')
    repo.git('commit', '-qm', 'data')
    const commit = repo.git('rev-parse', 'HEAD').trim()
    opened = await Repo.open(repo.dir)
    const deps = sealDeps({repo: opened, root: repo.dir}, {fraction: 0.3})
    const declared = [...names, 'own.csv'].map((n) => `data/${n}`)
    const overlays = await sealedDataOverlays(deps, declared, commit, 'data/own.csv')
    // the view over the directory first, then what is bound back onto it: not the declared files
    expect(overlays.map((o) => o.target.slice(repo.dir.length + 1))).toEqual(['data', 'data/README.md', 'data/sub'])
    expect(overlays[0]!.source.startsWith(deps.viewsDir)).toBe(true)
    // the same entries again, for another node of the directory: the same view, made once
    expect((await sealedDataOverlays(deps, declared, commit, 'data/asset1.csv'))[0]!.source).toBe(overlays[0]!.source)

    const script =
      'tail -n 1 data/asset3.csv; tail -n 1 data/latest.csv; cat data/README.md data/sub/inner.txt; tail -n 1 data/own.csv; echo x > data/asset3.csv || echo refused'
    const [program, args] = sandboxArgv({root: repo.dir, readable: [], writable: [], overlays, network: false}, '/bin/sh', ['-c', script])
    const shown = spawnSync(program, args, {encoding: 'utf8'})
    expect(shown.stdout.trim().split('\n')).toEqual([
      // the first 7 of 10 rows, through the file and through the link to another one
      expect.stringMatching(/^2026-01-07,/),
      expect.stringMatching(/^2026-01-07,/),
      'about the data',
      'inner',
      // the own file too (the run's own overlay is bound on top of it): every node of the directory shares the view
      expect.stringMatching(/^2026-01-07,/),
      'refused',
    ])
    // the host's directory is as it was
    expect(readFileSync(join(data, 'asset3.csv'), 'utf8')).toBe(PRICES)

    // a new version of one file: another view
    writeFileSync(join(data, 'asset3.csv'), `${PRICES}2026-02-01,999\n`)
    repo.git('commit', '-qam', 'more data')
    const next = await sealedDataOverlays(deps, declared, repo.git('rev-parse', 'HEAD').trim(), 'data/own.csv')
    expect(next[0]!.source).not.toBe(overlays[0]!.source)
  })

  it("a truncation re-run's cuts: every declared file ends before the date, and before the holdout too; without one, a file that cannot be cut shows as it is", async () => {
    repo = gitRepo()
    writeFileSync(join(repo.dir, 'bench.csv'), PRICES)
    writeFileSync(join(repo.dir, 'own.csv'), `${PRICES}2026-02-01,999\n`)
    writeFileSync(join(repo.dir, 'notes.csv'), 'no,dates\n1,2\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'data')
    const commit = repo.git('rev-parse', 'HEAD').trim()
    opened = await Repo.open(repo.dir)
    const scratch = mkdtempSync(join(tmpdir(), 'rigor-scratch-'))
    const tables = new TableCache(2)
    try {
      const shown = async (holdout: {fraction: number} | undefined, from: string) => {
        const deps = truncationDeps({repo: opened!, root: repo.dir}, holdout, from, scratch, tables)
        const overlays = await sealedDataOverlays(deps, ['own.csv', 'bench.csv', 'notes.csv'], commit, 'own.csv')
        for (const o of overlays) if (o.source !== '/dev/null') expect(o.source.startsWith(scratch)).toBe(true)
        return new Map(overlays.map((o) => [o.target.slice(repo.dir.length + 1), o.source]))
      }
      const lastRow = (file: string) => readFileSync(file, 'utf8').trim().split('\n').at(-1)
      // no holdout: the rows before 2026-01-05; the undated file is not touched
      const alone = await shown(undefined, '2026-01-05')
      expect([...alone.keys()]).toEqual(['bench.csv'])
      expect(lastRow(alone.get('bench.csv')!)).toMatch(/^2026-01-04,/)
      // with a holdout (the last 30%: from 2026-01-08), the earlier of the two cuts, and the undated file hidden
      const early = await shown({fraction: 0.3}, '2026-01-03')
      expect(lastRow(early.get('bench.csv')!)).toMatch(/^2026-01-02,/)
      expect(early.get('notes.csv')).toBe('/dev/null')
      // every file was read once and cut twice: none is held any more
      expect(tables.held).toEqual({tables: 0, rows: 0})
      const late = await shown({fraction: 0.3}, '2026-01-10')
      expect(lastRow(late.get('bench.csv')!)).toMatch(/^2026-01-07,/)
      // nothing written where the holdout's own cuts are kept, and only the benchmark's three cuts: the own file
      // (shown by the run's own overlay) is not cut
      expect(listNames(join(opened.paths.commonDir, 'rigor'))).not.toContain('data')
      expect(listNames(join(scratch, 'data'))).toHaveLength(3)
    } finally {
      rmSync(scratch, {recursive: true, force: true})
    }
  })

  it("a permutation re-run's files: every declared dated file cut before the holdout, then shuffled along the own dates; an undated one as it is without a holdout", async () => {
    repo = gitRepo()
    writeFileSync(join(repo.dir, 'bench.csv'), PRICES)
    writeFileSync(join(repo.dir, 'own.csv'), PRICES)
    writeFileSync(
      join(repo.dir, 'macro.csv'),
      `date,value
${PRICES.trim()
  .split('\n')
  .slice(1)
  .map((l, i) => `${l.split(',')[0]},${i}`)
  .join('\n')}\n`,
    )
    writeFileSync(join(repo.dir, 'notes.csv'), 'no,dates\n1,2\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'data')
    const commit = repo.git('rev-parse', 'HEAD').trim()
    opened = await Repo.open(repo.dir)
    const scratch = mkdtempSync(join(tmpdir(), 'rigor-scratch-'))
    const tables = new TableCache(2)
    const prepared = new WeakMap()
    const dates = PRICES.trim()
      .split('\n')
      .slice(1, 8)
      .map((l) => l.split(',')[0]!)
    try {
      const shown = async (holdout: {fraction: number} | undefined, seed: number) => {
        const alter = permutationAlteration({dates, seed, demean: true}, prepared)
        const deps = auditDeps({repo: opened!, root: repo.dir}, holdout, {alter}, scratch, tables)
        const overlays = await sealedDataOverlays(deps, ['own.csv', 'bench.csv', 'macro.csv', 'notes.csv'], commit, 'own.csv')
        return new Map(overlays.map((o) => [o.target.slice(repo.dir.length + 1), o.source]))
      }
      const rows = (file: string) =>
        readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => l.split(','))
      // the holdout (the last 30%: from 2026-01-08) is cut first; the own file is the run's own overlay
      const sealed = await shown({fraction: 0.3}, 1001)
      expect([...sealed.keys()].sort()).toEqual(['bench.csv', 'macro.csv', 'notes.csv'])
      expect(sealed.get('notes.csv')).toBe('/dev/null')
      for (const name of ['bench.csv', 'macro.csv']) {
        expect(sealed.get(name)!.startsWith(join(scratch, 'data'))).toBe(true)
        expect(rows(sealed.get(name)!).map((r) => r[0])).toEqual(dates)
      }
      // the values moved along the dates: day i+1 took day order[i]+1's value
      const order = shuffledOrder(dates.length - 1, 1001)
      expect(rows(sealed.get('macro.csv')!).map((r) => Number(r[1]))).toEqual([0, ...Array.from(order, (o) => o + 1)])
      // the benchmark's prices (rising by 1 a day) are its own returns, demeaned and shuffled
      const bench = rows(sealed.get('bench.csv')!).map((r) => Number(r[1]))
      expect(bench[0]).toBe(100)
      expect(bench).not.toEqual([100, 101, 102, 103, 104, 105, 106])
      // each table was read once for both seeds
      await shown({fraction: 0.3}, 1002)
      expect(tables.held).toEqual({tables: 0, rows: 0})
      // without a holdout: the whole files shuffled (rows after the own dates take a return of 0); the undated as it is
      const whole = await shown(undefined, 1001)
      expect(whole.has('notes.csv')).toBe(false)
      expect(rows(whole.get('macro.csv')!)).toHaveLength(10)
      const last = rows(whole.get('bench.csv')!).map((r) => Number(r[1]))
      expect(last.slice(6)).toEqual([last[6], last[6], last[6], last[6]])
      // nothing written where the holdout's own cuts are kept
      expect(listNames(join(opened.paths.commonDir, 'rigor'))).not.toContain('data')
    } finally {
      rmSync(scratch, {recursive: true, force: true})
    }
  })
})
