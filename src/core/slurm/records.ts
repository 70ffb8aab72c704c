import {mkdir, readdir, readFile, rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {CheckFailedError, InputError} from '../errors.js'
import {SlurmRecord} from '../schemas/index.js'

/** .git/rigor/slurm/: the job scripts, the records of submitted arrays, and logs/ for each task's output. */
export const slurmDirectory = (commonDir: string): string => join(commonDir, 'rigor', 'slurm')
export const logsDirectory = (commonDir: string): string => join(slurmDirectory(commonDir), 'logs')

export const recordFile = (commonDir: string, jobId: string): string => join(slurmDirectory(commonDir), `${jobId}.json`)

export async function writeRecord(commonDir: string, record: SlurmRecord): Promise<string> {
  const file = recordFile(commonDir, record.job_id)
  // written whole, then renamed: a reader never sees half a record
  await writeFile(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`)
  await rename(`${file}.tmp`, file)
  return file
}

/** Every record, oldest submission first; a file that is not a record is said, not skipped silently. */
export async function readRecords(commonDir: string): Promise<SlurmRecord[]> {
  const dir = slurmDirectory(commonDir)
  await mkdir(dir, {recursive: true})
  const records: SlurmRecord[] = []
  for (const name of (await readdir(dir)).filter((n) => /^\d+\.json$/.test(n))) records.push(await readRecordFile(join(dir, name)))
  return records.sort((a, b) => Number(a.job_id) - Number(b.job_id))
}

export async function readRecord(commonDir: string, jobId: string): Promise<SlurmRecord> {
  const file = recordFile(commonDir, jobId)
  const text = await readFile(file, 'utf8').catch(() => undefined)
  if (text === undefined)
    throw new InputError(`no array ${jobId} was submitted from this clone (${file} does not exist)`, {
      fix: '`rigor slurm status` lists the arrays submitted from here; cancel another job with scancel',
    })
  return parseRecord(text, file)
}

async function readRecordFile(file: string): Promise<SlurmRecord> {
  return parseRecord(await readFile(file, 'utf8'), file)
}

function parseRecord(text: string, file: string): SlurmRecord {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    value = undefined
  }
  const parsed = SlurmRecord.safeParse(value)
  if (!parsed.success)
    throw new CheckFailedError(`${file} is not a record of rigor slurm submit: ${parsed.error.issues[0]?.message ?? 'not JSON'}`, {
      fix: `remove it: it is only this clone's note of a submission (scancel and squeue still know the job)`,
    })
  return parsed.data
}
