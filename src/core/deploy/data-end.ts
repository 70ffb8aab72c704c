import type {Repo} from '../git/repo.js'
import {committedDataFile} from '../state/data-files.js'
import {readBlobs} from '../state/tree-files.js'
import type {NodeFile} from '../schemas/index.js'
import {lastDatedRow, parseDatedCsv} from './dated-csv.js'

/**
 * The last date the node's data file holds at `commit`, as written in the file, or
 * undefined when the node has none or it has no dates to read.
 *
 * A deployment records it (`data_end`) because paper trading is on prices that arrive
 * after the deployment: rows already in the file when it was deployed (a sealed
 * holdout's above all, which the audit scored) were known, so trading them forward
 * would count periods nobody traded towards deploy.live.min_paper_periods.
 */
export async function dataEndAt(repo: Repo, commit: string | undefined, node: NodeFile): Promise<string | undefined> {
  if (!node.data) return undefined
  try {
    const file = await committedDataFile(repo, commit, node.data, {file: `experiments/${node.id}/node.yaml`, field: 'data'})
    const [blob] = await readBlobs(repo, [file.oid])
    const table = parseDatedCsv(blob!.toString('utf8'), node.data)
    return lastDatedRow(table)?.[table.dateColumn]
  } catch {
    // a data file without dates cannot be traded on paper; paper says why when asked to
    return undefined
  }
}
