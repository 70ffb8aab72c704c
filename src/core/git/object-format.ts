import {InputError} from '../errors.js'

/**
 * A repository's object format (`git rev-parse --show-object-format`): how long
 * an object id is, in hex and in the raw bytes of a tree entry. Detected once
 * when the repository opens and handed to everything that hashes, parses or
 * checks an id, so a SHA-256 repository never sees a SHA-1 object.
 */
export interface ObjectFormat {
  readonly name: 'sha1' | 'sha256'
  /** the hash for node:crypto */
  readonly hash: 'sha1' | 'sha256'
  readonly hexLength: number
  readonly rawLength: number
  /** the all-zero id: "must not exist" in update-ref */
  readonly emptyOid: string
}

const format = (name: 'sha1' | 'sha256', rawLength: number): ObjectFormat =>
  Object.freeze({name, hash: name, hexLength: rawLength * 2, rawLength, emptyOid: '0'.repeat(rawLength * 2)})

export const SHA1 = format('sha1', 20)
export const SHA256 = format('sha256', 32)

export function objectFormatNamed(name: string): ObjectFormat {
  if (name === 'sha1') return SHA1
  if (name === 'sha256') return SHA256
  throw new InputError(`the repository uses the object format "${name}", which rigor does not know`, {
    fix: 'use a repository with the sha1 or sha256 object format',
  })
}

/** True when `text` is a full object id in this format (lowercase hex of the right length). */
export function isObjectId(text: string, format: ObjectFormat): boolean {
  return text.length === format.hexLength && /^[0-9a-f]+$/.test(text)
}
