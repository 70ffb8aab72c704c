import {createHash} from 'node:crypto'
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import {dirname} from 'node:path'

/**
 * Drawings of the DAG by what they draw: laying a part of the DAG out is the
 * slow step of a build, and between two builds most parts do not change. A
 * drawing is kept under the hash of its input (boxes, labels, edges, links);
 * the cache lives beside rigor's state cache (.git/rigor/cache/) and keeps
 * only the drawings the last build used.
 */
export class DrawingCache {
  private kept = new Map<string, string>()
  private used = new Map<string, string>()

  private constructor(private readonly file: string | undefined) {}

  /** A cache kept in `file` across builds (undefined: in memory only). */
  static async open(file: string | undefined): Promise<DrawingCache> {
    const cache = new DrawingCache(file)
    if (file) {
      try {
        const parsed = JSON.parse(await readFile(file, 'utf8')) as {version: number; drawings: Array<[string, string]>}
        if (parsed.version === 1) cache.kept = new Map(parsed.drawings)
      } catch {
        // none yet, or unreadable: drawn again
      }
    }
    return cache
  }

  /** The drawing of `input`, made by `draw` only when no earlier build made it. */
  drawing(input: unknown, draw: () => string): string {
    const key = createHash('sha256').update(JSON.stringify(input)).digest('base64url')
    const svg = this.used.get(key) ?? this.kept.get(key) ?? draw()
    this.used.set(key, svg)
    return svg
  }

  /** Keeps what this build used, for the next one; starts the next build's count afresh. */
  async save(): Promise<void> {
    this.kept = this.used
    this.used = new Map()
    if (!this.file) return
    await mkdir(dirname(this.file), {recursive: true})
    // a file of this process's own, renamed over the cache: two builds at once never mix their writes
    const temp = `${this.file}.${process.pid}.tmp`
    await writeFile(temp, JSON.stringify({version: 1, drawings: [...this.kept]}))
    await rename(temp, this.file)
  }
}
