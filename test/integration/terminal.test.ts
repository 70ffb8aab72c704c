import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {BIN, rigor} from '../helpers/cli.js'
import {GIT_ENV, type TempRepo} from '../helpers/git-repo.js'
import {SLOW, waitFor} from '../helpers/processes.js'
import {workspace, writeSpec} from './helpers.js'

/** What a person sees: rigor under a real pseudo-terminal (a tmux pane), and its help, suggestions and completion. */

let repo: TempRepo
// every tmux server a test starts (a test may open several panes): each keeps its pane's process until killed
const tmuxSockets: string[] = []
afterEach(() => {
  for (const socket of tmuxSockets.splice(0)) spawnSync('tmux', ['-L', socket, 'kill-server'])
  repo?.cleanup()
})

const FIXTURES = resolve(__dirname, '../fixtures')

/** Each pattern matches a line of the pane's history, in the order given. */
function expectInOrder(history: string, order: RegExp[]): void {
  const lines = history.split('\n')
  const found = order.map((pattern) => {
    const index = lines.findIndex((line) => pattern.test(line))
    expect(index, `${pattern}:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(0)
    return index
  })
  expect(found).toEqual([...found].sort((a, b) => a - b))
}
const hasTmux = spawnSync('tmux', ['-V']).status === 0
const hasBash = spawnSync('bash', ['--version']).status === 0
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
/** an SGR colour (foreground 30-37, 90-97): what capture-pane -e keeps of the styling */
const COLOUR = /\u001b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7])(?:;[0-9;]*)?m/

/** `rigor <args>` in a tmux pane of 120x40; the pane stays open after it exits, its exit code in a file. */
function inTerminal(args: string[], env: Record<string, string> = {}) {
  const tmuxSocket = `rigor-term-${process.pid}-${Math.random().toString(16).slice(2)}`
  tmuxSockets.push(tmuxSocket)
  const rcFile = join(repo.dir, '.git', `rc-${Math.random().toString(16).slice(2)}.txt`)
  const vars = Object.entries({...GIT_ENV, TERM: 'xterm-256color', ...env, RIGOR_TEST_RC: rcFile}).map(([k, v]) => `${k}=${quote(v)}`)
  const argv = [process.execPath, join(FIXTURES, 'exit-code-wrapper.cjs'), process.execPath, BIN, ...args]
  // NO_COLOR must be set or unset for the command alone, not inherited from the test runner
  const command = `cd ${quote(repo.dir)} && exec env -u NO_COLOR -u FORCE_COLOR ${vars.join(' ')} ${argv.map(quote).join(' ')}`
  const tmux = (...a: string[]) => execFileSync('tmux', ['-L', tmuxSocket, ...a], {encoding: 'utf8'})
  tmux('new-session', '-d', '-s', 'term', '-x', '120', '-y', '40', command)
  return {
    pane: () => tmux('capture-pane', '-p', '-t', 'term'),
    styled: () => tmux('capture-pane', '-p', '-e', '-t', 'term'),
    /** everything the pane printed, its history too, wrapped lines joined */
    history: () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'term'),
    exited: () => existsSync(rcFile),
    code: () => readFileSync(rcFile, 'utf8').trim(),
  }
}

function seedSlow(count: number, sleepMs: number): void {
  const nodes = Array.from({length: count}, (_, i) => ({
    id: `s/n${i}`,
    team: 'default',
    run: {command: ['node', join(FIXTURES, 'slow-runner.cjs')], env: {RIGOR_TEST_SLEEP_MS: String(sleepMs)}},
    params: {i},
  }))
  writeSpec(repo.dir, {nodes})
  expect(rigor(repo.dir, ['seed', 'spec.yaml']).code).toBe(0)
  repo.git('add', 'spec.yaml')
  repo.git('commit', '-qm', 'spec')
}

describe.skipIf(!hasTmux)('under a terminal', {timeout: SLOW}, () => {
  it('rigor work: per slot the node it runs and for how long, one shared tally, then every node in a table', async () => {
    repo = workspace()
    seedSlow(4, 3000)
    const term = inTerminal(['work', '--parallel', '2'])
    await waitFor('both slots running', () => (term.pane().match(/slot \d: running s\/n\d \(\d/g) ?? []).length === 2)
    const first = term.pane()
    expect(first.match(/finished: /g)).toHaveLength(1)
    expect(first).toMatch(/0 finished: 0 accepted, 0 rejected, 0 other; 2 running/)
    const elapsed = (pane: string) => /slot 1: running s\/n\d \(([\d.]+)s\)/.exec(pane)?.[1]
    const before = elapsed(first)
    await waitFor('the elapsed time to move', () => elapsed(term.pane()) !== undefined && elapsed(term.pane()) !== before)
    // after the first round a slot shows the node it runs now, not the last one's result
    await waitFor('the second round', () => /2 finished: 2 accepted/.test(term.pane()) && /slot \d: running/.test(term.pane()))
    expect(term.pane()).not.toMatch(/slot \d: s\/n\d proven_accepted/)
    await waitFor('rigor work to exit', term.exited)
    expect(term.code()).toBe('0')
    const end = term.pane()
    expect(end).toMatch(/4 finished: 4 accepted, 0 rejected, 0 other; 0 running/)
    expect(end).toMatch(/│ node\s+│ result\s+│ time\s+│ slot │ note\s+│/)
    for (let i = 0; i < 4; i++) expect(end).toMatch(new RegExp(`│ s/n${i}\\s+│ proven_accepted │ \\d`))
    expect(end).toContain('ran 4 node(s) (4 proven_accepted)')
  })

  it('rigor demo: each step in its order, the live display only from the seed step to the work step', async () => {
    repo = workspace()
    const term = inTerminal(['demo', join(repo.dir, 'demo')])
    await waitFor('rigor demo to exit', term.exited, SLOW)
    expect(term.code()).toBe('0')
    // before: the display started with the demo and held every step's line back until the end, after its own
    const order = [/^init: /, /^seed: /, /finished: .* 0 running/, /│ node\s+│ result/, /^work: /, /^audit: /, /^site: /, /^Try next/]
    expectInOrder(term.history(), order)
  })

  it('rigor cycle: the live display ends with the work step, so the steps after it show as they run', async () => {
    repo = workspace()
    seedSlow(2, 300)
    const term = inTerminal(['cycle', '--skip', 'design'])
    await waitFor('rigor cycle to exit', term.exited, SLOW)
    expect(term.code()).toBe('0')
    // before: the display lasted to the end of the cycle and held back every later step's line (an audit of an hour
    // showed as idle work slots), then printed the work table after them
    const order = [/^work: start/, /finished: .* 0 running/, /│ node\s+│ result/, /^work: succeeded/, /^audit: start/, /^report: succeeded/]
    expectInOrder(term.history(), order)
  })

  it('colour only without NO_COLOR: tables, progress and errors', async () => {
    repo = workspace()
    seedSlow(1, 200)
    const coloured = inTerminal(['work'])
    await waitFor('rigor work to exit', coloured.exited)
    expect(coloured.styled()).toMatch(COLOUR)
    for (const args of [['status'], ['work'], ['show', 'nothing/here']]) {
      const plain = inTerminal(args, {NO_COLOR: '1'})
      await waitFor(`rigor ${args.join(' ')} to exit`, plain.exited)
      expect(plain.pane()).toMatch(args[0] === 'show' ? /Error: no node nothing\/here/ : /┌|nothing claimable|ran 0/)
      expect(plain.styled(), args.join(' ')).not.toMatch(COLOUR)
    }
    const status = inTerminal(['status'])
    await waitFor('rigor status to exit', status.exited)
    expect(status.styled()).toMatch(COLOUR)
  })
})

describe('the command line a person meets', () => {
  it('rigor help lists the topics with what they do', () => {
    repo = workspace()
    const help = rigor(repo.dir, ['help'])
    expect(help.code).toBe(0)
    const text = help.stdout.replace(/\s+/g, ' ')
    expect(text).toMatch(/stats The statistics behind the audit/)
    expect(text).toMatch(/rules The backward rules .* `replay` commits the spawns/)
    expect(text).not.toMatch(/rules [^.]*Writes nothing\./)
    expect(rigor(repo.dir, ['help', 'status']).stdout).toContain('--cwd')
    expect(rigor(repo.dir, ['stats', 'dsr', '--help']).stdout).not.toMatch(/--cwd|--remote/)
  })

  it('a mistyped command: exit 2 and the closest ones', () => {
    repo = workspace()
    const typo = rigor(repo.dir, ['stauts'])
    expect(typo.code).toBe(2)
    expect(typo.stderr).toContain('"stauts" is not a rigor command. Did you mean `rigor stats` or `rigor status`?')
    expect(rigor(repo.dir, ['stats', 'dsrr']).stderr).toContain('`rigor stats dsr`')
    // asked for JSON, the error is JSON too, on stdout
    const json = rigor(repo.dir, ['stauts', '--json'])
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout).error).toMatchObject({type: 'InputError', exit: 2, fix: '`rigor help` lists every command'})
    expect(json.stderr).toBe('')
  })

  it('a word a command without arguments does not take is named as such, not as a mistyped command', () => {
    repo = workspace()
    const extra = rigor(repo.dir, ['status', 'foo'])
    expect(extra.code).toBe(2)
    expect(extra.stderr).toBe('Error: rigor status takes no argument "foo"\nFix: see `rigor status --help`\n')
    const nested = rigor(repo.dir, ['handoff', 'list', 'data-prep', '--json'])
    expect(nested.code).toBe(2)
    expect(JSON.parse(nested.stdout).error).toMatchObject({message: 'rigor handoff list takes no argument "data-prep"', exit: 2})
    // a topic and a mistyped command under it is still a mistyped command
    expect(rigor(repo.dir, ['handoff', 'lst']).stderr).toContain('Did you mean `rigor handoff list`?')
  })

  it('bad usage is exit 2 with the fix, also under --json', () => {
    repo = workspace()
    const flag = rigor(repo.dir, ['status', '--bogus', '--json'])
    expect(flag.code).toBe(2)
    expect(JSON.parse(flag.stdout).error).toMatchObject({type: 'InputError', exit: 2, fix: 'see `rigor status --help`'})
    // a mistyped flag is answered with the command's closest flags
    const typo = rigor(repo.dir, ['work', '--paralel', '2'])
    expect(typo.code).toBe(2)
    expect(typo.stderr).toContain('Nonexistent flag: --paralel\nFix: did you mean --parallel? (see `rigor work --help`)')
    // a restarted worker takes back what its name held before: the default name (host and pid) held nothing
    const restarted = rigor(repo.dir, ['work', '--restarted'])
    expect(restarted.code).toBe(2)
    expect(restarted.stderr).toMatch(
      /field "--restarted": .*none was given\nFix: give the name the earlier run worked under: --worker NAME/,
    )
    const number = rigor(repo.dir, ['work', '--parallel', '0'])
    expect(number.code).toBe(2)
    expect(number.stderr).toContain('field "--parallel": must be at least 1, got 0')
    // an integer is written in decimal digits: 0x10 was taken as 16, 1e1 as 10, and work began with that many slots
    for (const written of ['0x10', '1e1', '0b11', '2.0', '+3']) {
      const odd = rigor(repo.dir, ['work', '--parallel', written])
      expect(odd.code, written).toBe(2)
      expect(odd.stderr, written).toContain(`field "--parallel": "${written}" is not a whole number in decimal digits`)
    }
    // an action no commit can carry is a typo, not an empty log
    const action = rigor(repo.dir, ['log', '--action', 'verdicts'])
    expect(action.code).toBe(2)
    expect(action.stderr).toContain('Expected --action=verdicts to be one of: init, seed, claim')
  })

  it.skipIf(!hasBash)('bash completion: commands, topics, flags and option values', () => {
    repo = workspace()
    const script = rigor(repo.dir, ['completion', 'bash'])
    expect(script.code).toBe(0)
    const complete = (...words: string[]) => {
      const body = `${script.stdout}\nCOMP_WORDS=(${words.map(quote).join(' ')}); COMP_CWORD=${words.length - 1}; _rigor_completions; echo "\${COMPREPLY[*]}"`
      return execFileSync('bash', ['-c', body], {encoding: 'utf8'}).trim()
    }
    expect(complete('rigor', 'sta')).toBe('stats status')
    expect(complete('rigor', 'stats', '')).toBe('dsr mintrl pbo psr sharpe')
    expect(complete('rigor', 'stats', 'dsr', '--n')).toBe('--n-obs')
    expect(complete('rigor', 'graph', '--format', '')).toBe('mermaid dot')
    expect(complete('rigor', 'status', '--')).toContain('--cwd')
    expect(complete('rigor', 'backtest', '--')).not.toContain('--cwd')
    expect(rigor(repo.dir, ['completion', 'fish']).code).toBe(2)
  })
})
