import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {inputEnvName, runFingerprint, selectInputFiles} from '../../../src/core/dag/inputs.js'
import type {VerdictFile} from '../../../src/core/schemas/index.js'
import {inputGlobProblem, inputNameProblem, nodeIdProblem, resolveInputFrom} from '../../../src/core/validation.js'

const hex = (c: string) => c.repeat(64)

describe('resolveInputFrom', () => {
  it('reads ids as they are and ./ ../ against the declaring node', () => {
    expect(resolveInputFrom('pipe/backtest', 'pipe/train')).toEqual({ok: true, value: 'pipe/train'})
    expect(resolveInputFrom('pipe/backtest', '../train')).toEqual({ok: true, value: 'pipe/train'})
    expect(resolveInputFrom('pipe/backtest', './prep')).toEqual({ok: true, value: 'pipe/backtest/prep'})
    expect(resolveInputFrom('a/b/c', '../../x/y')).toEqual({ok: true, value: 'a/x/y'})
  })

  it('refuses walking above the top, the node itself and invalid ids', () => {
    expect(resolveInputFrom('pipe/backtest', '../../../x').ok).toBe(false)
    expect(resolveInputFrom('pipe/backtest', '..')).toEqual({ok: true, value: 'pipe'})
    expect(resolveInputFrom('pipe/backtest', '.').ok).toBe(false)
    expect(resolveInputFrom('pipe/backtest', '../Train').ok).toBe(false)
    expect(resolveInputFrom('pipe/backtest', '').ok).toBe(false)
  })

  it('gives a valid node id or a problem, for any text', () => {
    fc.assert(
      fc.property(fc.string({maxLength: 40}), (from) => {
        const resolved = resolveInputFrom('pipe/stage/backtest', from)
        if (resolved.ok) expect(nodeIdProblem(resolved.value)).toBeUndefined()
        else expect(resolved.problem.length).toBeGreaterThan(0)
      }),
    )
  })
})

describe('input names and patterns', () => {
  it('names become environment variables', () => {
    expect(inputNameProblem('model')).toBeUndefined()
    expect(inputNameProblem('model_2')).toBeUndefined()
    expect(inputEnvName('model_2')).toBe('RIGOR_INPUT_MODEL_2')
    for (const bad of ['Model', '2model', 'a-b', '', 'a'.repeat(65), 'a\nb']) expect(inputNameProblem(bad)).toBeDefined()
  })

  it('patterns stay inside out/', () => {
    for (const good of ['model.*', 'models/**/*.json', 'w?.bin', '[ab].csv']) expect(inputGlobProblem(good)).toBeUndefined()
    for (const bad of ['', '/etc/passwd', '../x', 'a/../b', './a', 'a//b', '{a,b}', '!(x)', 'a\nb'])
      expect(inputGlobProblem(bad), bad).toBeDefined()
  })
})

describe('selectInputFiles', () => {
  const verdict = {
    artifacts: {'out/model.json': `sha256:${hex('a')}`, 'out/run.log': `sha256:${hex('b')}`, 'out/sub/w.bin': `sha256:${hex('c')}`},
    stored: [{path: 'out/big.bin', sha256: hex('d'), bytes: 9}],
  } as unknown as VerdictFile
  it('matches committed and stored files by their path under out/', () => {
    const pick = (files: string[]) => selectInputFiles(verdict, {from: 'x', files, as: 'm'}).map((f) => [f.path, f.stored])
    expect(pick(['model.*'])).toEqual([['model.json', false]])
    expect(pick(['*.bin'])).toEqual([['big.bin', true]])
    expect(pick(['**/*.bin'])).toEqual([
      ['big.bin', true],
      ['sub/w.bin', false],
    ])
    expect(pick(['nothing'])).toEqual([])
  })
})

describe('runFingerprint', () => {
  const node = {run: {command: ['python3', 'train.py']}, params: {a: 1}, data: 'd.csv'}
  const read = (sha: string) => [
    {as: 'model', from: 'p/train', commit: hex('0').slice(0, 40), files: [{path: 'm.json', sha256: sha, bytes: 1}]},
  ]
  it('changes with the bytes of an input and with nothing else of the record', () => {
    expect(runFingerprint(node, read(hex('a')))).toBe(runFingerprint(node, read(hex('a'))))
    expect(runFingerprint(node, read(hex('a')))).not.toBe(runFingerprint(node, read(hex('b'))))
    const otherCommit = read(hex('a')).map((r) => ({...r, commit: hex('1').slice(0, 40)}))
    expect(runFingerprint(node, otherCommit)).toBe(runFingerprint(node, read(hex('a'))))
    expect(runFingerprint(node, undefined)).toMatch(/^sha256:[0-9a-f]{64}$/)
  })

  it('changes with the committed bytes of the data file, not only its path', () => {
    const blob = (c: string) => c.repeat(40)
    expect(runFingerprint(node, undefined, blob('a'))).toBe(runFingerprint(node, undefined, blob('a')))
    expect(runFingerprint(node, undefined, blob('a'))).not.toBe(runFingerprint(node, undefined, blob('b')))
    expect(runFingerprint({...node, data: 'e.csv'}, undefined, blob('a'))).not.toBe(runFingerprint(node, undefined, blob('a')))
  })
})
