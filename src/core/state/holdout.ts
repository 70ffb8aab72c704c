import {holdoutStart, researchPart, type HoldoutCut, type PriceTable} from '../data/price-file.js'
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
 * data file that cannot be cut (no date column, a cell that is no date, rows
 * not oldest first) cannot be sealed: that is an error, never a silent run on
 * the full file.
 */
export async function researchDataFile(repo: Repo, oid: string, dataPath: string, holdout: HoldoutConfig, suffix: string): Promise<string> {
  try {
    return await cutDataFile(repo, oid, dataPath, [holdoutCut(holdout)], {suffix, dir: dataFilesDir(repo)})
  } catch (err) {
    throw unsealable(err, dataPath)
  }
}

/** The rows of a data table before the holdout; an InputError as researchDataFile's when it cannot be cut. */
export function researchTable(table: PriceTable, holdout: HoldoutConfig): PriceTable {
  try {
    return researchPart(table, holdoutCut(holdout))
  } catch (err) {
    throw unsealable(err, table.file)
  }
}

/** Why the holdout of `dataPath` cannot be sealed, from the InputError of its reading or cut (any other error as it is). */
function unsealable(err: unknown, dataPath: string): unknown {
  if (!(err instanceof InputError)) return err
  // the file is named once, up front
  const detail = err.file === dataPath && err.message.startsWith(`${dataPath}, `) ? err.message.slice(dataPath.length + 2) : err.message
  return new InputError(`the holdout cannot be sealed in ${dataPath}: ${detail}`, {
    field: 'holdout',
    fix: err.fix
      ? `${err.fix}; or remove holdout: from rigor.yaml`
      : 'give the data file a date column (and a close column), or remove holdout: from rigor.yaml',
    cause: err,
  })
}
