// The reference for a claim's cost: the least a long-lived process can do per
// commit here. Each step writes, as loose objects by itself, a blob and the
// four trees above it (a node directory among `size` siblings, their parent,
// experiments/, the root: rigor's layout) and a commit, then moves the branch
// through one long-lived `git update-ref --stdin` (compare-and-swap). No state
// is read, nothing is validated or rendered. Trees are written stored, small
// objects at deflate level 1, as git itself would.
import {execFileSync, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {deflateSync} from 'node:zlib'

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'

export async function minimalWriter(dir, seconds, size) {
  const objects = join(execFileSync('git', ['rev-parse', '--git-common-dir'], {cwd: dir, encoding: 'utf8'}).trim(), 'objects')
  const absolute = objects.startsWith('/') ? objects : join(dir, objects)
  const made = new Set()
  let counter = 0
  const write = (type, body) => {
    const head = Buffer.from(`${type} ${body.length}\0`)
    const oid = createHash('sha1').update(head).update(body).digest('hex')
    const sub = join(absolute, oid.slice(0, 2))
    if (!made.has(sub)) {
      mkdirSync(sub, {recursive: true})
      made.add(sub)
    }
    const tmp = join(sub, `tmp_obj_bench_${process.pid}_${counter++}`)
    writeFileSync(tmp, deflateSync(Buffer.concat([head, body]), {level: type === 'tree' ? 0 : 1}))
    renameSync(tmp, join(sub, oid.slice(2)))
    return oid
  }
  const tree = (entries) =>
    Buffer.concat(entries.flatMap(([mode, name, oid]) => [Buffer.from(`${mode} ${name}\0`), Buffer.from(oid, 'hex')]))
  const names = Array.from({length: size}, (_, i) => `n${String(i).padStart(6, '0')}`)
  const dirs = names.map(() => EMPTY_TREE)
  let tip = execFileSync('git', ['rev-parse', 'refs/heads/main'], {cwd: dir, encoding: 'utf8'}).trim()
  const updater = spawn('git', ['update-ref', '--stdin'], {cwd: dir, stdio: ['pipe', 'pipe', 'inherit']})
  let output = ''
  let waiting
  updater.stdout.on('data', (chunk) => {
    output += chunk
    if (output.includes('commit: ok\n')) {
      output = ''
      waiting()
    }
  })
  const start = Date.now()
  let done = 0
  while (Date.now() - start < seconds * 1000) {
    const i = done % size
    const blob = write(
      'blob',
      Buffer.from(`id: bench/${names[i]}\nstatus: running\nworker: w\nattempt: ${done}\nstarted_at: ${new Date().toISOString()}\n`),
    )
    dirs[i] = write('tree', tree([['100644', 'node.yaml', blob]]))
    const parent = write('tree', tree(names.map((name, j) => ['40000', name, dirs[j]])))
    const experiments = write('tree', tree([['40000', 'bench', parent]]))
    const root = write('tree', tree([['40000', 'experiments', experiments]]))
    const stamp = `${Math.floor(Date.now() / 1000)} +0000`
    const commit = write(
      'commit',
      Buffer.from(`tree ${root}\nparent ${tip}\nauthor b <b> ${stamp}\ncommitter b <b> ${stamp}\n\nstep ${done}\n`),
    )
    await new Promise((resolve) => {
      waiting = resolve
      updater.stdin.write(`start\nupdate refs/heads/main ${commit} ${tip}\nprepare\ncommit\n`)
    })
    tip = commit
    done++
  }
  const elapsed = (Date.now() - start) / 1000
  updater.stdin.end()
  await new Promise((resolve) => updater.on('close', resolve))
  return {done, conflicts: 0, seconds: elapsed}
}
