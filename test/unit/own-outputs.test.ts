import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {hidingOverlays} from '../../src/core/auditor/own-outputs.js'

let root: string
afterEach(() => rmSync(root, {recursive: true, force: true}))

function tree(files: string[]): string {
  root = mkdtempSync(join(tmpdir(), 'own-outputs-'))
  for (const file of files) {
    mkdirSync(join(root, file, '..'), {recursive: true})
    writeFileSync(join(root, file), 'x')
  }
  return join(root, 'experiments')
}

describe('hidingOverlays', () => {
  it('hides a directory whole when no other overlay shows a file inside it', () => {
    const dir = tree(['experiments/a/out/positions.csv', 'experiments/b/node.yaml'])
    expect(hidingOverlays([dir], '/empty', [{source: '/x', target: join(root, 'data.csv')}])).toEqual([{source: '/empty', target: dir}])
  })

  it('hides every entry but the path down to a data file another overlay shows inside it', () => {
    const dir = tree([
      'experiments/a/out/positions.csv',
      'experiments/b/data/prices.csv',
      'experiments/b/out/positions.csv',
      'experiments/b/node.yaml',
    ])
    const data = join(dir, 'b', 'data', 'prices.csv')
    const hidden = hidingOverlays([dir], '/empty', [{source: '/copy.csv', target: data}])
      .map((o) => o.target)
      .sort()
    // files are left (the node files say nothing a re-run could replay); every directory off the path is hidden
    expect(hidden).toEqual([join(dir, 'a'), join(dir, 'b', 'out')])
    expect(hidden.some((t) => data.startsWith(t))).toBe(false)
  })
})
