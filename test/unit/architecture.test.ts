import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative, resolve} from 'node:path'
import {describe, expect, it} from 'vitest'

const SRC = resolve(__dirname, '../../src')

/**
 * The rooms of the engine, lowest first: a file may import its own room and the
 * rooms below it, never one above (see docs/architecture.md).
 */
const LAYERS: string[][] = [
  [
    'core/errors.ts',
    'core/input-file.ts',
    'core/output-dir.ts',
    'core/temp-dir.ts',
    'core/host-header.ts',
    'core/validation.ts',
    'core/proc.ts',
    'core/configured-command.ts',
    'core/command-watchdog.ts',
    'core/command-watchdog-process.ts',
    'core/package-root.ts',
    'core/schemas',
    'core/git',
    'core/stats',
    'core/data',
    'core/backtest',
    'core/telemetry',
  ],
  ['core/state'],
  ['core/dag'],
  ['core/agent'],
  ['core/auditor'],
  ['core/deploy'],
  ['core/views'],
  ['core/slurm'],
  ['core/flows', 'core/schedule'],
  ['index.ts'],
  ['cli'],
  ['commands'],
]

const layerOf = (file: string): number => LAYERS.findIndex((rooms) => rooms.some((room) => file === room || file.startsWith(`${room}/`)))

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name)
    return statSync(full).isDirectory() ? sourceFiles(full) : name.endsWith('.ts') ? [full] : []
  })
}

describe('the rooms of the engine', () => {
  it('every source file belongs to a room, and imports only its own room and the rooms below', () => {
    const upward: string[] = []
    for (const full of sourceFiles(SRC)) {
      const file = relative(SRC, full)
      const layer = layerOf(file)
      expect(layer, `${file} belongs to no room`).toBeGreaterThanOrEqual(0)
      // runtime imports only: a type-only import is erased, and a compile-time check may look at the rooms above
      for (const match of readFileSync(full, 'utf8').matchAll(/^(?!import type )[^\n]*from '(\.{1,2}\/[^']+)'/gm)) {
        const target = relative(SRC, resolve(join(full, '..'), match[1]!)).replace(/\.js$/, '.ts')
        if (layerOf(target) > layer) upward.push(`${file} -> ${target}`)
      }
    }
    expect(upward).toEqual([])
  })

  it('nothing is imported for its side effects', () => {
    const bare = sourceFiles(SRC).filter((full) => /^import '[^']+'$/m.test(readFileSync(full, 'utf8')))
    expect(bare.map((f) => relative(SRC, f))).toEqual([])
  })
})
