import * as z from 'zod'
import {Checksum, IsoTime} from './common.js'
import {workspacePathProblem} from '../validation.js'

const Name = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lowercase letters, digits, ".", "_" or "-", like a node id segment')

/** handoffs/<task>/<n>-<from>-to-<to>.yaml */
export const HandoffFile = z.strictObject({
  task: Name,
  number: z.number().int().positive(),
  from: Name,
  to: Name,
  message: z.string().optional(),
  created_at: IsoTime,
  /** workspace-relative path -> sha256:<hex> of the file when handed off */
  // paths inside the workspace (`handoff verify` reads them): never absolute, never a ".." step, never into .git
  artifacts: z.record(z.string(), Checksum).check((ctx) => {
    for (const path of Object.keys(ctx.value)) {
      const problem = workspacePathProblem(path)
      if (problem) ctx.issues.push({code: 'custom', message: `artifact path ${problem}`, input: ctx.value, path: [path]})
    }
  }),
  checksum: Checksum,
})
export type HandoffFile = z.infer<typeof HandoffFile>
export const HandoffName = Name
