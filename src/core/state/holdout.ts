import {createHash} from 'node:crypto'
import {chmod, mkdir, rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {holdoutStart, priceTableText, readPriceTable, researchPart, type HoldoutCut, type PriceTable} from '../data/price-file.js'
import {InputError, MissingObjectError} from '../errors.js'
import {dataFilesDir, isRegularFile} from './data-files.js'
import type {Repo} from '../git/repo.js'
import type {HoldoutConfig} from '../schemas/index.js'

export const holdoutCut = (holdout: HoldoutConfig): HoldoutCut =>
  holdout.from !== undefined ? {from: holdout.from} : {fraction: holdout.fraction!}

/** Where the holdout of a data table begins: the index of its first sealed row and that row's date. */
export function holdoutBoundary(table: PriceTable, holdout: HoldoutConfig): {index: number; from: string | undefined; rows: number} {
  const index = holdoutStart(table, holdoutCut(holdout))
  return {index, from: table.rows[index]?.[table.columns.date], rows: table.rows.length}
}

/** What names the cut a holdout makes, in the names of its files (researchCutName). */
export const researchCutTag = (holdout: HoldoutConfig): string =>
  `research-${createHash('sha256')
    .update(JSON.stringify(holdoutCut(holdout)))
    .digest('hex')
    .slice(0, 12)}`

/** The file name of blob `oid`'s research cut (`tag`: researchCutTag), in dataFilesDir: the same blob and cut, the same file. */
export const researchCutName = (oid: string, tag: string, suffix: string): string => `${oid}.${tag}${suffix}`

/**
 * The data a research run may see: the committed data file cut before the
 * holdout, written once per blob and cut under .git/rigor/data/ (read-only). A
 * data file whose rows have no dates cannot be sealed: that is an error, never a
 * silent run on the full file.
 */
export async function researchDataFile(repo: Repo, oid: string, dataPath: string, holdout: HoldoutConfig, suffix: string): Promise<string> {
  const cut = holdoutCut(holdout)
  const dir = dataFilesDir(repo)
  const file = join(dir, researchCutName(oid, researchCutTag(holdout), suffix))
  if (isRegularFile(file)) return file
  const blob = await repo.cat.read(oid)
  if (blob?.type !== 'blob') throw new MissingObjectError(`blob ${oid}`)
  let table: PriceTable
  try {
    table = readPriceTable(blob.body.toString('utf8'), dataPath)
  } catch (err) {
    throw new InputError(`the holdout cannot be sealed in ${dataPath}: ${(err as Error).message}`, {
      field: 'holdout',
      fix: 'give the data file a date column (and a close column), or remove holdout: from rigor.yaml',
    })
  }
  await mkdir(dir, {recursive: true})
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  await writeFile(tmp, priceTableText(researchPart(table, cut)), {mode: 0o444})
  await chmod(tmp, 0o444)
  await rename(tmp, file)
  return file
}
