import {posix} from 'node:path'
import {checkDocument, stripUndefined, withChecksum} from '../state/checksum.js'
import {loadMarkdownDocument, renderMarkdownDocument, splitMarkdownDocument, validate} from '../state/documents.js'
import {CorruptFileError, InputError} from '../errors.js'
import {AuditFrontMatter, AuditHead, type AuditRecord} from '../schemas/index.js'
import {auditBody} from './report.js'

/**
 * An audit is two checksummed files: the markdown report (short front matter,
 * readable body) and a JSON sidecar with the full record (checks, figures,
 * issues, family). The report's front matter holds the sidecar's checksum, so
 * the report's own checksum covers both. Reports written before the sidecar
 * hold the full record in their front matter and are read as they are.
 */

export interface AuditFiles {
  report: string
  details: string
}

export const sidecarPath = (reportPath: string): string => reportPath.replace(/\.md$/, '.json')

export function renderAuditFiles(record: Omit<AuditRecord, 'checksum'>, paths: {report: string; chart: string}): AuditFiles {
  const full = withChecksum(stripUndefined(record) as Record<string, unknown>)
  const detailsFile = posix.basename(sidecarPath(paths.report))
  const head = stripUndefined({
    verdict: record.verdict,
    node: record.covers.node,
    auditor: record.auditor,
    audited_at: record.audited_at,
    summary: record.summary ?? '',
    holdout: record.holdout?.summary,
    details: {file: detailsFile, checksum: full.checksum},
  })
  const body = auditBody(record, {chart: posix.basename(paths.chart), details: detailsFile})
  return {report: renderMarkdownDocument(head, body), details: `${JSON.stringify(full, null, 2)}\n`}
}

/**
 * The full record of a committed report: its sidecar when the front matter
 * names one (checked against the checksum the report holds), else the front
 * matter itself. Throws a RigorError naming the file when either is corrupt.
 */
export function loadAuditRecord(reportText: string, reportPath: string, readDetails: (path: string) => string | undefined): AuditRecord {
  const front = splitMarkdownDocument(reportText, reportPath).front
  if (!('details' in front)) return loadMarkdownDocument(AuditFrontMatter, reportText, reportPath).front
  const head = loadMarkdownDocument(AuditHead, reportText, reportPath).front
  const detailsPath = posix.join(posix.dirname(reportPath), head.details.file)
  const text = readDetails(detailsPath)
  if (text === undefined)
    throw new InputError(`names ${head.details.file}, which is not committed beside it`, {
      file: reportPath,
      fix: 'restore both files from git history, or audit the node again',
    })
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(text) as Record<string, unknown>
  } catch (error) {
    throw new InputError(`is not valid JSON: ${(error as Error).message}`, {file: detailsPath, fix: 'restore it from git history'})
  }
  const check = checkDocument(raw)
  if (!check.ok) throw new CorruptFileError(detailsPath, check.expected, check.actual)
  if (raw.checksum !== head.details.checksum) throw new CorruptFileError(detailsPath, head.details.checksum, String(raw.checksum))
  const record = validate(AuditFrontMatter, raw, detailsPath)
  if (record.verdict !== head.verdict || record.covers.node !== head.node) {
    throw new InputError(`says ${head.node} ${head.verdict} but its details say ${record.covers.node} ${record.verdict}`, {
      file: reportPath,
      fix: 'restore both files from git history',
    })
  }
  return record
}
