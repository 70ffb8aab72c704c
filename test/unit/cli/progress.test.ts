import {describe, expect, it} from 'vitest'
import {batchedLines, ProgressBoard} from '../../../src/cli/progress.js'

const verdict = (id: string, status: string, durationMs = 2000) => ({kind: 'verdict' as const, id, status, spawned: [], durationMs})

describe('the live progress board', () => {
  it('shows per slot the node it runs now, even when the last verdict lands after the next claim', () => {
    let now = 0
    const board = new ProgressBoard(2, () => now)
    board.apply({type: 'claimed', slot: 0, id: 'a', attempt: 1})
    board.apply({type: 'claimed', slot: 1, id: 'b', attempt: 1})
    now = 2500
    expect(board.slotLine(0)).toBe('slot 1: running a (2.5s)')
    expect(board.tallyLine()).toBe('0 finished: 0 accepted, 0 rejected, 0 other; 2 running')
    // the slot claims c when a's runner ends; a's verdict commits behind it
    board.apply({type: 'claimed', slot: 0, id: 'c', attempt: 1})
    board.apply({type: 'finished', slot: 0, outcome: verdict('a', 'proven_accepted')})
    expect(board.slotLine(0)).toBe('slot 1: running c (0.0s)')
    board.apply({type: 'finished', slot: 1, outcome: verdict('b', 'proven_rejected')})
    expect(board.slotLine(1)).toBe('slot 2: idle')
    now = 75_000
    expect(board.slotLine(0)).toBe('slot 1: running c (1m13s)')
    board.apply({type: 'finished', slot: 0, outcome: {kind: 'released', id: 'c'}})
    board.apply({type: 'idle', reason: 'empty', detail: ''})
    // c was put back, not finished
    expect(board.tallyLine()).toBe('2 finished: 1 accepted, 1 rejected, 0 other; 1 put back; 0 running; nothing claimable (empty)')
    expect(board.results.map((r) => [r.id, r.result, r.seconds])).toEqual([
      ['a', 'proven_accepted', 2],
      ['b', 'proven_rejected', 2],
      ['c', 'released', 72.5],
    ])
    expect(board.summaryTable({isTTY: false}).split('\n')[0]).toBe('node\tresult\ttime\tslot\tnote')
    // a node claimed ahead and put back unstarted counts as put back, as the work summary counts it; a lost one apart
    board.apply({type: 'finished', outcome: {kind: 'released', id: 'd'}})
    board.apply({type: 'finished', slot: 1, outcome: {kind: 'lost', id: 'e', why: 'the node was taken back'}})
    expect(board.tallyLine()).toBe('2 finished: 1 accepted, 1 rejected, 0 other; 2 put back; 1 lost; 0 running; nothing claimable (empty)')
    expect(board.summaryTable({isTTY: false}).split('\n')[4]).toBe('d\treleased\t0.0s\t-\t-')
  })

  it('a following worker says what it waits for, and a claim clears it', () => {
    const board = new ProgressBoard(1)
    board.apply({type: 'waiting', reason: 'blocked', detail: 'narrow/b (team narrow runs 1 node(s) already (max_parallel))'})
    expect(board.tallyLine()).toBe('0 finished: 0 accepted, 0 rejected, 0 other; 0 running; waiting: nothing claimable (blocked)')
    board.apply({type: 'waiting', reason: 'unreachable', detail: 'git fetch origin failed'})
    expect(board.tallyLine()).toMatch(/; waiting: remote unreachable$/)
    board.apply({type: 'claimed', slot: 0, id: 'narrow/b', attempt: 1})
    expect(board.tallyLine()).toBe('0 finished: 0 accepted, 0 rejected, 0 other; 1 running')
  })
})

describe('batchedLines', () => {
  it('writes the lines of one turn of the event loop together, in order; flush writes what is pending at once', async () => {
    const writes: string[] = []
    const lines = batchedLines((text) => writes.push(text))
    lines.write('a')
    lines.write('b')
    expect(writes).toEqual([])
    await new Promise((resolve) => setImmediate(resolve))
    expect(writes).toEqual(['a\nb'])
    lines.write('c')
    lines.flush()
    expect(writes).toEqual(['a\nb', 'c'])
    lines.flush()
    await new Promise((resolve) => setImmediate(resolve))
    expect(writes).toEqual(['a\nb', 'c'])
  })
})
