/**
 * Cuts of committed data files: the rows before a date, or before the last
 * fraction of the rows. The sealed holdout is one cut (the research cut); an
 * audit's truncation re-run adds another, at the date its own data was cut, so
 * that every data file a strategy reads ends where its own data ends.
 */
import {createHash} from 'node:crypto'
import {chmod, mkdir, rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {holdoutStart, priceTableText, readDatedTable, truncatePriceTable, type DatedTable, type HoldoutCut} from '../data/price-file.js'
import {MissingObjectError} from '../errors.js'
import type {Repo} from '../git/repo.js'
import {reuseKeptCopy} from './kept-copies.js'

/** The rows of `table` before the earliest of `cuts` (each cut keeps a prefix, so together they keep the shortest). */
export function cutTable(table: DatedTable, cuts: readonly HoldoutCut[]): DatedTable {
  return truncatePriceTable(table, Math.min(table.rows.length, ...cuts.map((cut) => holdoutStart(table, cut))))
}

/**
 * What names a set of cuts in the names of its files (dataCutName). One cut
 * is named as the research cut always was, so the cuts already on disk are
 * found again.
 */
export const dataCutTag = (cuts: readonly HoldoutCut[]): string =>
  `research-${createHash('sha256')
    .update(JSON.stringify(cuts.length === 1 ? cuts[0] : cuts))
    .digest('hex')
    .slice(0, 12)}`

/**
 * A change made to a data file after its cuts (an audit's permutation re-run
 * shuffles every other data file as it shuffles the node's own:
 * permuted-data.ts). `tag` names it in the files' names; `apply` gets the cut
 * table and the table as read (the same object while it is kept, for
 * whatever `apply` works out once per table).
 */
export interface TableAlteration {
  readonly tag: string
  apply(cut: DatedTable, whole: DatedTable): DatedTable
}

/** The tag of a set of cuts followed by an alteration (dataCutTag when there is none). */
export const alteredCutTag = (cuts: readonly HoldoutCut[], alter: TableAlteration | undefined): string =>
  alter ? `${dataCutTag(cuts)}.${alter.tag}` : dataCutTag(cuts)

/** The file name of blob `oid` cut by the cuts named `tag` (dataCutTag): the same blob and cuts, the same file. */
export const dataCutName = (oid: string, tag: string, suffix: string): string => `${oid}.${tag}${suffix}`

/**
 * Tables read from blobs, by blob id, for an audit that cuts every other data
 * file at each truncation date: each is read once and kept until it has been
 * cut `uses` times. Parsed rows weigh about 250 bytes each, so at most
 * `maxRows` rows are kept; beyond that a file is read again for each cut. The
 * dates come one after another over all files, so the tables kept are the
 * first ones read, never replaced (replacing would evict each before its next
 * use).
 */
export class TableCache {
  private readonly tables = new Map<string, {table: Promise<DatedTable>; rows: number}>()
  private readonly taken = new Map<string, number>()
  private rows = 0

  constructor(
    private readonly uses: number,
    private readonly maxRows = 200_000,
  ) {}

  /** The table of blob `oid`, read with `read` unless it is kept. */
  take(oid: string, read: () => Promise<DatedTable>): Promise<DatedTable> {
    // counted per file, not per reading: a file read again (over the budget) has no more uses than the others
    const taken = (this.taken.get(oid) ?? 0) + 1
    this.taken.set(oid, taken)
    const kept = this.tables.get(oid)
    if (kept) {
      if (taken >= this.uses) this.forget(oid)
      return kept.table
    }
    const table = read()
    if (taken < this.uses) {
      const entry = {table, rows: 0}
      this.tables.set(oid, entry)
      // a table over the budget is forgotten once its size is known; one that cannot be read is kept as it is (tiny)
      table.then(
        (t) => {
          if (this.tables.get(oid) !== entry) return
          if (this.rows + t.rows.length > this.maxRows) this.tables.delete(oid)
          else {
            entry.rows = t.rows.length
            this.rows += entry.rows
          }
        },
        () => undefined,
      )
    }
    return table
  }

  private forget(oid: string): void {
    this.rows -= this.tables.get(oid)?.rows ?? 0
    this.tables.delete(oid)
  }

  /** how many tables, and rows, are kept (for tests) */
  get held(): {tables: number; rows: number} {
    return {tables: this.tables.size, rows: this.rows}
  }
}

async function readCommittedTable(repo: Repo, oid: string, dataPath: string): Promise<DatedTable> {
  const blob = await repo.cat.read(oid)
  if (blob?.type !== 'blob') throw new MissingObjectError(`blob ${oid}`)
  return readDatedTable(blob.body.toString('utf8'), dataPath)
}

/**
 * Blob `oid` (the data file `dataPath`) cut by `cuts` (then altered by
 * `alter`), written once, read-only, into `dir` and named by what it holds
 * (`tables`: the tables already read). Throws an InputError when it has no
 * date column to cut by.
 */
export async function cutDataFile(
  repo: Repo,
  oid: string,
  dataPath: string,
  cuts: readonly HoldoutCut[],
  opts: {suffix: string; dir: string; tables?: TableCache; alter?: TableAlteration},
): Promise<string> {
  const file = join(opts.dir, dataCutName(oid, alteredCutTag(cuts, opts.alter), opts.suffix))
  if (reuseKeptCopy(file, 'file')) return file
  const read = () => readCommittedTable(repo, oid, dataPath)
  const reading = opts.tables ? opts.tables.take(oid, read) : read()
  // awaited before anything else: a file that cannot be read rejects, and must not do so with no one waiting
  const table = await reading
  await mkdir(opts.dir, {recursive: true})
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  const cut = cutTable(table, cuts)
  await writeFile(tmp, priceTableText(opts.alter ? opts.alter.apply(cut, table) : cut), {mode: 0o444})
  await chmod(tmp, 0o444)
  await rename(tmp, file)
  return file
}
