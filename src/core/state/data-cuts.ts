/**
 * Cuts of committed data files: the rows before a date, or before the last
 * fraction of the rows. The sealed holdout is one cut (the research cut); an
 * audit's truncation re-run adds another, at the date its own data was cut, so
 * that every data file a strategy reads ends where its own data ends.
 */
import {createHash} from 'node:crypto'
import {chmod, mkdir, rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {holdoutStart, priceTableText, readPriceTable, truncatePriceTable, type HoldoutCut, type PriceTable} from '../data/price-file.js'
import {MissingObjectError} from '../errors.js'
import type {Repo} from '../git/repo.js'
import {isRegularFile} from './data-files.js'

/** The rows of `table` before the earliest of `cuts` (each cut keeps a prefix, so together they keep the shortest). */
export function cutTable(table: PriceTable, cuts: readonly HoldoutCut[]): PriceTable {
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

/** The file name of blob `oid` cut by the cuts named `tag` (dataCutTag): the same blob and cuts, the same file. */
export const dataCutName = (oid: string, tag: string, suffix: string): string => `${oid}.${tag}${suffix}`

/** Tables read from blobs, by blob id: an audit cuts each file at several dates and reads it once. */
export type TableCache = Map<string, Promise<PriceTable>>

async function readCommittedTable(repo: Repo, oid: string, dataPath: string): Promise<PriceTable> {
  const blob = await repo.cat.read(oid)
  if (blob?.type !== 'blob') throw new MissingObjectError(`blob ${oid}`)
  return readPriceTable(blob.body.toString('utf8'), dataPath)
}

/**
 * Blob `oid` (the data file `dataPath`) cut by `cuts`, written once, read-only,
 * into `dir` and named by what it holds (`tables`: the tables already read).
 * Throws an InputError when its rows have no dates to cut by.
 */
export async function cutDataFile(
  repo: Repo,
  oid: string,
  dataPath: string,
  cuts: readonly HoldoutCut[],
  opts: {suffix: string; dir: string; tables?: TableCache},
): Promise<string> {
  const file = join(opts.dir, dataCutName(oid, dataCutTag(cuts), opts.suffix))
  if (isRegularFile(file)) return file
  let table = opts.tables?.get(oid)
  if (!table) {
    table = readCommittedTable(repo, oid, dataPath)
    opts.tables?.set(oid, table)
  }
  await mkdir(opts.dir, {recursive: true})
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  await writeFile(tmp, priceTableText(cutTable(await table, cuts)), {mode: 0o444})
  await chmod(tmp, 0o444)
  await rename(tmp, file)
  return file
}
