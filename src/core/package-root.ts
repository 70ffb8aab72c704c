import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/**
 * The directory of rigor's package.json (its assets, templates and bin/ live
 * there), found from a module's own URL by walking up. A fixed number of `..`
 * would not do: the same source runs from src/ under the tests, from dist/
 * as the library, and from dist/rigor.cjs as the CLI bundle.
 */
export function packageRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl))
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(moduleUrl)}`)
    dir = up
  }
  return dir
}
