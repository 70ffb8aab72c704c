import {join, relative} from 'node:path'
import {
  auditorTrust,
  bySigner,
  checkedFileSignature,
  fileSignature,
  reportSignatures,
  tampered as isTampered,
  unsignedSectionsFix,
} from '../state/auditors.js'
import {CheckFailedError} from '../errors.js'
import {DEFAULT_MIN_PAPER_SHARPE} from '../schemas/config.js'
import type {AllowedSigner} from '../git/signing.js'
import {independenceProblem} from '../auditor/isolation.js'
import {fileChanges} from '../state/file-changes.js'
import {auditsDirPath, CONFIG_FILE, nodeDir, nodeFilePath, outDirPath, verdictFilePath} from '../state/layout.js'
import {handChanges, handChangesFix} from '../state/hand-changes.js'
import type {DeployStage, DeploymentFile, NodeFile, PaperResultsFile} from '../schemas/index.js'
import {readableNode, type Snapshot} from '../state/store.js'
import type {Workspace} from '../state/workspace.js'
import {
  artifactDifferences,
  currentArtifacts,
  describeDifferences,
  workingTreeDifferences,
  type ArtifactDifference,
  type CurrentArtifacts,
} from '../state/artifacts.js'
import {auditedStatus, isAuditFileOf, readNodeAudits, type NodeAudit} from '../auditor/reports.js'
import {
  DEFAULT_MIN_PAPER_PERIODS,
  deploymentFilePath,
  MAX_AUDIT_AGE_DAYS,
  MAX_AUDIT_CLOCK_AHEAD_MINUTES,
  paperResultsPath,
} from './paths.js'
import {readDeployment, readPaperResults} from './records.js'

/** One condition of the deployment gate, named so a refusal can say which one failed and how to fix it. */
export interface GateCondition {
  name: string
  ok: boolean
  detail: string
  fix?: string
}

export interface DeployGate {
  ok: boolean
  conditions: GateCondition[]
  node: NodeFile
  artifacts: CurrentArtifacts
  /** the audit that opened the gate */
  audit?: NodeAudit
  /** for live: the paper deployment and results it stands on */
  paper?: {deployment: DeploymentFile; results: PaperResultsFile; file: string}
  /** who signed the audit that opened the gate, when auditors are configured */
  signer?: string
  /** things the gate lets through but a human should know (unauthenticated audits) */
  warnings: string[]
  /** the working tree's copies are the audited files only once git converts them (core.autocrlf): the command gets the committed bytes */
  convertedCopies?: boolean
}

const DAY_MS = 24 * 60 * 60 * 1000

/**
 * The deploy gate (docs/auditor.md, README: Deployment), evaluated against one committed state:
 * - the node is intact (node.yaml and verdict.yaml pass their checksums: a corrupt node throws),
 *   proven_accepted, and its committed artifacts are the ones its run recorded;
 * - the newest audit whose `covers.artifacts` equals the current artifact checksums is a PASS,
 *   at most 30 days old and not dated in the future (a PASS on artifacts that changed since covers nothing);
 * - optionally, the working-tree copies the stage command will read are the committed ones;
 * - live only: an active paper deployment of the same artifacts, with paper results made
 *   under it that reach deploy.live.min_paper_periods and min_paper_sharpe.
 */
export async function evaluateDeployGate(
  ws: Workspace,
  snap: Snapshot,
  id: string,
  stage: DeployStage,
  opts: {now: Date; workingTree?: boolean},
): Promise<DeployGate> {
  const record = readableNode(snap, id)
  const node = record.node
  const verdict = await ws.store.verdict(record)
  const artifacts = await currentArtifacts(ws.repo, snap.tree, id)
  const conditions: GateCondition[] = []
  const add = (name: string, ok: boolean, detail: string, fix?: string): boolean => {
    conditions.push({name, ok, detail, ...(ok ? {} : {fix})})
    return ok
  }

  if (!verdict) add('node.verdict', false, `${id} has no verdict (it is ${node.status})`, `run it first (rigor work), then have it audited`)
  else {
    add(
      'node.accepted',
      node.status === 'proven_accepted',
      `${id} is ${node.status}`,
      'only a node its gates accepted (proven_accepted) can be deployed',
    )
    const diffs = artifactDifferences(verdict.artifacts, artifacts.sums)
    add(
      'artifacts.intact',
      diffs.length === 0,
      diffs.length
        ? `the committed ${outDirPath(id)}/ differs from what ${verdictFilePath(id)} recorded: ${describeDifferences(diffs)}`
        : `${Object.keys(artifacts.sums).length} artifact(s) match the verdict`,
      `restore ${outDirPath(id)}/ from git history, or run the node again; either way it then needs a new audit`,
    )
  }
  const trust = await auditorTrust(ws.repo, snap.commit)
  // what the gate reads must be what rigor wrote: a plain commit over a stale index (or by hand) that removed the newest
  // FAIL, or wrote paper results, would otherwise decide. With auditors, their signatures decide over audits instead
  // (a retraction is a signed plain commit), and catch a commit that forges a Rigor-Action trailer too
  const unsignedAudits = trust.auditors.length === 0
  const inputs = gateInputs(id, stage, {audits: unsignedAudits})
  const changed = await handChanges(ws.repo, snap.commit!, inputs)
  add(
    'state.unchanged_by_hand',
    changed.length === 0,
    changed.length
      ? `${changed.length} file(s) the gate reads were changed by commit(s) rigor did not make: ${changed
          .slice(0, 5)
          .map((c) => `${c.path} (${c.change} in ${c.commit.slice(0, 10)})`)
          .join(', ')}${changed.length > 5 ? ' and more' : ''}`
      : `the node's files${unsignedAudits ? ', its audits' : ''}${stage === 'live' ? ' and its paper records' : ''} are as rigor wrote them`,
    handChangesFix(changed),
  )
  if (trust.auditors.length > 0) {
    const unsigned = trust.unsigned_sections
    add(
      'config.signed',
      unsigned.length === 0,
      unsigned.length
        ? `${CONFIG_FILE}'s ${unsigned.map((u) => `${u.section}: (changed in ${u.commit.slice(0, 10)}, ${u.why})`).join(', ')} ${unsigned.length > 1 ? 'are' : 'is'} not as a listed auditor signed it`
        : `${CONFIG_FILE}'s audit:, holdout: and deploy: are as a listed auditor signed them`,
      unsignedSectionsFix(unsigned),
    )
  }
  const warnings: string[] = []
  const decided = await auditConditions(ws, snap, {id, node, worker: verdict?.worker}, artifacts, opts.now, add, trust.auditors)
  const audit = decided?.audit
  if (trust.auditors.length === 0) {
    warnings.push(
      'audits are unauthenticated: no `auditors:` with SSH keys in rigor.yaml, so anyone who can commit could have written the PASS (see docs/commits-and-trailers.md, "Signed commits")',
    )
  }
  let convertedCopies = false
  if (opts.workingTree) {
    const found = await workingTreeDifferences(ws.root, id, artifacts.sums)
    const converted = await convertedByGit(ws, id, found, artifacts)
    convertedCopies = converted.size > 0
    const diffs = found.filter((d) => !converted.has(d.path))
    add(
      'artifacts.working_tree',
      diffs.length === 0,
      diffs.length
        ? `the working tree's copies differ from the committed, audited files: ${describeDifferences(diffs)}`
        : 'the working tree holds the audited files',
      `restore them (git checkout -- ${outDirPath(id)}), or commit the change and have the node audited again`,
    )
  }
  const paper = stage === 'live' ? await paperConditions(ws, snap, id, artifacts, add, trust.auditors) : undefined
  return {
    ok: conditions.every((c) => c.ok),
    conditions,
    node,
    artifacts,
    audit,
    paper,
    signer: decided?.signer,
    warnings,
    ...(convertedCopies ? {convertedCopies} : {}),
  }
}

/**
 * The working-tree differences git's own conversion explains (core.autocrlf, a text or eol attribute): such a file is
 * the audited blob once git converts it, as `git status` says, and no edit. Paths as the differences name them.
 */
async function convertedByGit(
  ws: Workspace,
  id: string,
  diffs: readonly ArtifactDifference[],
  artifacts: CurrentArtifacts,
): Promise<Set<string>> {
  const changed = diffs.filter((d) => d.kind === 'changed')
  if (changed.length === 0) return new Set()
  const fromTop = (path: string) => relative(ws.repo.paths.root, join(ws.root, path))
  const blobIds = await ws.repo.cleanBlobIds(changed.map((d) => fromTop(d.path)))
  const audited = (d: ArtifactDifference) => artifacts.oids[`out/${d.path.slice(outDirPath(id).length + 1)}`]
  return new Set(changed.filter((d) => blobIds.get(fromTop(d.path)) === audited(d)).map((d) => d.path))
}

type Add = (name: string, ok: boolean, detail: string, fix?: string) => boolean

/** The files the gate of `id` reads: its node and verdict, its outputs, its audits (unless left out) and, for live, its paper records. */
function gateInputs(id: string, stage: DeployStage, include: {audits: boolean}): {under: string[]; only: (path: string) => boolean} {
  const own = `${nodeDir(id)}/`
  const paper = [deploymentFilePath('paper', id), paperResultsPath(id)]
  return {
    under: [nodeDir(id), auditsDirPath(id), ...(stage === 'live' ? paper : [])],
    only: (path) =>
      path === nodeFilePath(id) ||
      path === verdictFilePath(id) ||
      // `out` is no segment of a node id: no child node's files are under it
      path.startsWith(`${own}out/`) ||
      (include.audits && isAuditFileOf(id, path)) ||
      (stage === 'live' && paper.includes(path)),
  }
}

async function auditConditions(
  ws: Workspace,
  snap: Snapshot,
  subject: {id: string; node: NodeFile; worker: string | undefined},
  artifacts: CurrentArtifacts,
  now: Date,
  add: Add,
  auditors: AllowedSigner[],
): Promise<{audit: NodeAudit; signer?: string} | undefined> {
  const {id} = subject
  const reaudit = `have it audited again: rigor audit ${id} --auditor NAME (someone who did not run, seed or design it)`
  const {audits, unusable} = await readNodeAudits(ws.repo, snap.tree, id)
  const ignored = unusable.length ? ` (${unusable.length} unusable report(s) ignored: ${unusable.map((u) => u.file).join(', ')})` : ''
  if (
    !add(
      'audit.exists',
      audits.length > 0,
      audits.length ? `${audits.length} audit report(s)${ignored}` : `${id} has no audit${ignored}`,
      `audit it: rigor audit ${id} --auditor NAME`,
    )
  )
    return undefined
  const covering = audits.filter((a) => artifactDifferences(a.front.covers.artifacts, artifacts.sums).length === 0)
  const newest = audits[0]!
  if (
    !add(
      'audit.covers_artifacts',
      covering.length > 0,
      covering.length
        ? `${covering[0]!.file} covers the current artifacts`
        : `no audit covers the current artifacts; since the newest one (${newest.file}): ${describeDifferences(artifactDifferences(newest.front.covers.artifacts, artifacts.sums))}`,
      reaudit,
    )
  ) {
    return undefined
  }
  // with auditor keys, only an audit whose last change is signed by the auditor it names counts:
  // a checksum proves a file is intact, not who wrote it
  let audit = covering[0]!
  let signer: string | undefined
  if (auditors.length > 0) {
    // a signed word on this node that someone changed or removed without a signature: nothing older decides over it
    // the records beside the reports too: a FAIL whose record was edited is unusable, which would let an older PASS decide
    const signatures = await reportSignatures(ws.repo, snap.commit!, auditsDirPath(id), auditors, (path) => isAuditFileOf(id, path))
    const tampered = [...signatures.values()].filter(isTampered)
    const untampered = add(
      'audit.untampered',
      tampered.length === 0,
      tampered.length
        ? `a signed audit was changed or removed by a commit no listed auditor signed: ${tampered.map((t) => `${t.file}: ${t.status.replace(/_/g, ' ')} (${t.detail})`).join('; ')}`
        : 'no signed audit of it was changed or removed without a signature',
      tampered.length
        ? `restore ${tampered[0]!.file} as signed (git checkout ${tampered[0]!.signed_in!.slice(0, 10)} -- ${tampered[0]!.file}, then commit), or have a listed auditor sign the change (git commit -S)`
        : undefined,
    )
    if (!untampered) return undefined
    const refused: string[] = []
    let found: NodeAudit | undefined
    for (const candidate of covering) {
      const signature = bySigner(
        signatures.get(candidate.file) ?? (await fileSignature(ws.repo, snap.commit!, candidate.file, auditors, {owned: true})),
        candidate.front.auditor,
      )
      if (signature.status === 'good') {
        found = candidate
        signer = signature.signer
        break
      }
      refused.push(`${candidate.file}: ${signature.status.replace(/_/g, ' ')} (${signature.detail})`)
    }
    const ok = add(
      'audit.signed',
      found !== undefined,
      found
        ? `${found.file} is signed by ${signer}, a listed auditor${refused.length ? `; not counted: ${refused.join('; ')}` : ''}`
        : `no audit of the current artifacts is signed by the auditor it names: ${refused.join('; ')}`,
      `have a listed auditor audit it with their key: rigor audit ${id} --auditor NAME --signing-key PATH`,
    )
    if (!ok) return undefined
    audit = found!
  }
  // the newest word on these exact artifacts decides: a later FAIL is not outvoted by an earlier PASS
  const failing = audit.front.issues.filter((i) => i.severity !== 'minor').map((i) => `${i.category}: ${i.description}`)
  if (
    !add(
      'audit.pass',
      audit.front.verdict === 'PASS',
      `${audit.file} is ${audit.front.verdict}${failing.length ? ` (${failing.slice(0, 3).join('; ')})` : ''}`,
      `fix what it found, run the node again, then ${reaudit}`,
    )
  )
    return undefined
  // the audit must have judged an accepted verdict: a PASS of a rejected run, then a status flipped by any commit (one
  // that says Rigor-Action: verdict counts as rigor's) or by gates loosened before a re-run, would open the gate
  const judged = await auditedStatus(ws.repo, audit)
  if (
    !add(
      'audit.judged_accepted',
      judged === 'proven_accepted',
      judged
        ? `${audit.file} judged ${id} when its verdict was ${judged} (commit ${audit.front.covers.commit.slice(0, 10)})`
        : `${audit.file} covers commit ${audit.front.covers.commit.slice(0, 10)}, whose verdict of ${id} cannot be read here`,
      `a PASS of a run the gates did not accept opens nothing: have the accepted verdict audited, ${reaudit}`,
    )
  )
    return undefined
  const ageMs = now.getTime() - Date.parse(audit.front.audited_at)
  const ageDays = ageMs / DAY_MS
  // an audit from the future would stay fresh as long as its date says, and outrank every audit made before that date
  const ahead = -ageMs > MAX_AUDIT_CLOCK_AHEAD_MINUTES * 60_000
  if (
    !add(
      'audit.fresh',
      !ahead && ageDays <= MAX_AUDIT_AGE_DAYS,
      ahead
        ? `${audit.file} is dated ${audit.front.audited_at}, in the future (the gate's clock says ${now.toISOString()}): it was written by a clock that was wrong, or edited, and opens nothing`
        : `${audit.file} is ${Math.floor(ageDays)} day(s) old; the gate takes audits at most ${MAX_AUDIT_AGE_DAYS} days old`,
      ahead ? `check the clocks of this machine and the auditor's, then ${reaudit}` : reaudit,
    )
  )
    return undefined
  const dependent = independenceProblem(subject.node, subject.worker, signer ?? audit.front.auditor)
  if (
    !add(
      'audit.independent',
      dependent === undefined,
      dependent ?? `${signer ?? audit.front.auditor} did not run, seed or design ${id}`,
      reaudit,
    )
  )
    return undefined
  // with a sealed holdout configured, the audit must have opened it and the strategy must have held up there
  if (ws.config.holdout) {
    const holdout = audit.front.holdout
    const ok = holdout?.passed === true
    if (
      !add(
        'holdout.passed',
        ok,
        holdout ? `${audit.file}: holdout ${holdout.summary}` : `${audit.file} has no holdout result (made before holdout: was configured)`,
        ok ? undefined : holdout ? 'the strategy did not hold up on data it never saw: do not deploy it; research a new variant' : reaudit,
      )
    )
      return undefined
  }
  return {audit, signer}
}

async function paperConditions(
  ws: Workspace,
  snap: Snapshot,
  id: string,
  artifacts: CurrentArtifacts,
  add: Add,
  auditors: AllowedSigner[],
): Promise<DeployGate['paper']> {
  const deployPaper = `deploy it to paper first: rigor deploy ${id} --stage paper`
  const paperRun = `trade it on paper: rigor paper ${id} (after new prices have arrived past its backtest window)`
  const deployment = await readDeployment(ws.repo, snap.tree, 'paper', id)
  if (deployment.kind !== 'ok') {
    add(
      'paper.deployed',
      false,
      deployment.kind === 'absent' ? `${id} has no paper deployment` : `${deployment.file} is unusable: ${deployment.error.message}`,
      deployment.kind === 'absent' ? deployPaper : `restore ${deployment.file} from git history`,
    )
    return undefined
  }
  const paper = deployment.doc
  if (!add('paper.deployed', paper.status === 'active', `the paper deployment (${deployment.file}) is ${paper.status}`, deployPaper))
    return undefined
  const diffs = artifactDifferences(paper.artifacts, artifacts.sums)
  if (
    !add(
      'paper.same_artifacts',
      diffs.length === 0,
      `the paper deployment ran other artifacts than the current ones: ${describeDifferences(diffs)}`,
      `deploy the current artifacts to paper and trade them there: rigor deploy ${id} --stage paper`,
    )
  )
    return undefined
  const results = await readPaperResults(ws.repo, snap.tree, id)
  if (results.kind !== 'ok') {
    add(
      'paper.results',
      false,
      results.kind === 'absent' ? `${id} has no paper results` : `${results.file} is unusable: ${results.error.message}`,
      results.kind === 'absent' ? paperRun : `restore ${results.file} from git history, or run rigor paper ${id} again`,
    )
    return undefined
  }
  const r = results.doc
  if (
    !add(
      'paper.results',
      r.deployment.deployed_at === paper.deployed_at && r.deployment.checksum === paper.checksum,
      `${results.file} was made under an earlier paper deployment`,
      paperRun,
    )
  )
    return undefined
  if (auditors.length > 0 && !(await paperSigned(ws, snap, id, [deployment.file, results.file], auditors, add))) return undefined
  const live = ws.config.deploy?.live
  const minPeriods = live?.min_paper_periods ?? DEFAULT_MIN_PAPER_PERIODS
  const periodsOk = add(
    'paper.periods',
    r.periods >= minPeriods,
    `${r.periods} paper period(s) (${r.from} to ${r.to}); live needs at least ${minPeriods} (deploy.live.min_paper_periods)`,
    `let it trade on paper longer: ${paperRun}`,
  )
  // live money needs a paper record that earned something: on by default, overridable in rigor.yaml
  const minSharpe = live?.min_paper_sharpe ?? DEFAULT_MIN_PAPER_SHARPE
  const sharpeOk = add(
    'paper.sharpe',
    r.sharpe >= minSharpe,
    `paper Sharpe ${r.sharpe.toFixed(3)} (annualised); live needs at least ${minSharpe} (deploy.live.min_paper_sharpe)`,
    `let it trade on paper longer, or improve the strategy and start again from the audit`,
  )
  return periodsOk && sharpeOk ? {deployment: paper, results: r, file: results.file} : undefined
}

/**
 * With auditors in force, the paper deployment and the paper results count only as a commit a listed auditor signed
 * wrote them: a commit is rigor's by its Rigor-Action trailer, which anyone can type, so an unsigned paper record could
 * be anyone's numbers (periods and a Sharpe ratio nobody traded), as an unsigned audit could be anyone's PASS.
 */
async function paperSigned(
  ws: Workspace,
  snap: Snapshot,
  id: string,
  files: string[],
  auditors: AllowedSigner[],
  add: Add,
): Promise<boolean> {
  const refused: Array<{file: string; why: string}> = []
  const signers = new Set<string>()
  for (const file of files) {
    const signature = await checkedFileSignature(ws.repo, snap.commit!, file, auditors)
    if (signature.status !== 'good') {
      refused.push({file, why: `${signature.status.replace(/_/g, ' ')} (${signature.detail})`})
      continue
    }
    // the signed bytes put back by an unsigned commit undo what came after them: a rollback of the paper deployment
    const changes = await fileChanges(ws.repo, snap.commit!, file)
    const newest = changes[0]
    if (newest !== signature.commit) {
      const after = changes[changes.indexOf(signature.commit!) - 1]!
      refused.push({
        file,
        why: `changed after signing (signed by ${signature.signer} in ${signature.commit!.slice(0, 10)}, then changed by commit ${after.slice(0, 10)} (not signed by a listed auditor) and put back as signed by commit ${newest!.slice(0, 10)} (not signed by a listed auditor): what it undid, a rollback or a newer record, would not count)`,
      })
      continue
    }
    signers.add(signature.signer!)
  }
  const key = "--signing-key PATH (a listed auditor's key; or RIGOR_SIGNING_KEY)"
  // a new paper deployment needs new paper results anyway: its fix says both
  const fix = refused.some((r) => r.file === files[0])
    ? `deploy it to paper again with a listed auditor's key: rigor deploy ${id} --stage paper ${key}, then trade it on paper the same way (rigor paper ${id} ${key})`
    : `trade it on paper with a listed auditor's key: rigor paper ${id} ${key}`
  return add(
    'paper.signed',
    refused.length === 0,
    refused.length
      ? `with auditors: in ${CONFIG_FILE}, live reads paper records only as a listed auditor's signed commit wrote them: ${refused.map((r) => `${r.file} is ${r.why}`).join('; ')}`
      : `the paper deployment and results are signed by ${[...signers].join(' and ')}, listed auditor(s)`,
    refused.length ? fix : undefined,
  )
}

/** The refusal: every failed condition with its name and detail, and how to fix each. */
export function gateRefusal(id: string, stage: DeployStage, gate: DeployGate): CheckFailedError {
  const failed = gate.conditions.filter((c) => !c.ok)
  const lines = failed.map((c) => `  - ${c.name}: ${c.detail}`)
  const fixes = [...new Set(failed.map((c) => c.fix).filter((f): f is string => !!f))]
  return new CheckFailedError(`refusing to deploy ${id} to ${stage}: ${failed.length} condition(s) failed\n${lines.join('\n')}`, {
    fix: fixes.join('; '),
  })
}
