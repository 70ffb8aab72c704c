import {holdoutStart, type HoldoutCut, type PriceTable} from '../data/price-file.js'
import {InputError} from '../errors.js'
import {cutDataFile} from './data-cuts.js'
import {dataFilesDir} from './data-files.js'
import type {Repo} from '../git/repo.js'
import type {HoldoutConfig} from '../schemas/index.js'

export const holdoutCut = (holdout: HoldoutConfig): HoldoutCut =>
  holdout.from !== undefined ? {from: holdout.from} : {fraction: holdout.fraction!}

/** Where the holdout of a data table begins: the index of its first sealed row and that row's date. */
export function holdoutBoundary(table: PriceTable, holdout: HoldoutConfig): {index: number; from: string | undefined; rows: number} {
  const index = holdoutStart(table, holdoutCut(holdout))
  return {index, from: table.rows[index]?.[table.columns.date], rows: table.rows.length}
}

/**
 * The data a research run may see: the committed data file cut before the
 * holdout, written once per blob and cut under .git/rigor/data/ (read-only). A
 * data file whose rows have no dates cannot be sealed: that is an error, never a
 * silent run on the full file.
 */
export async function researchDataFile(repo: Repo, oid: string, dataPath: string, holdout: HoldoutConfig, suffix: string): Promise<string> {
  try {
    return await cutDataFile(repo, oid, dataPath, [holdoutCut(holdout)], {suffix, dir: dataFilesDir(repo)})
  } catch (err) {
    if (!(err instanceof InputError)) throw err
    throw new InputError(`the holdout cannot be sealed in ${dataPath}: ${err.message}`, {
      field: 'holdout',
      fix: 'give the data file a date column (and a close column), or remove holdout: from rigor.yaml',
    })
  }
}
