import * as z from 'zod'
import {inputGlobProblem, inputNameProblem, recordedOutputPathProblem} from '../validation.js'
import {Argv, Duration, NodeId} from './common.js'

const check = (problemOf: (value: unknown) => string | undefined) =>
  z.string().superRefine((value, ctx) => {
    const problem = problemOf(value)
    if (problem) ctx.addIssue({code: 'custom', message: problem})
  })

/** `as:` an input's name: RIGOR_INPUT_<AS> and its directory under RIGOR_INPUTS */
export const InputName = check(inputNameProblem)
/** a pattern over the upstream's committed out/ (picomatch: *, **, ?, [...]) */
export const InputGlob = check(inputGlobProblem)
/** a path a verdict records under a run's out/: never outside it (rigor writes staged inputs there) */
export const RecordedOutputPath = check(recordedOutputPathProblem)

/**
 * One input in a seed spec: files of an upstream node's committed out/.
 * `from` is an id or a path relative to the declaring node (../train).
 */
export const InputSpec = z.strictObject({
  from: z.string().min(1),
  files: z.array(InputGlob).min(1).max(64),
  as: InputName,
})
export type InputSpec = z.infer<typeof InputSpec>

/** One input in node.yaml: `from` resolved to the upstream's id when the node was made. */
export const NodeInput = z.strictObject({
  from: NodeId,
  files: z.array(InputGlob).min(1).max(64),
  as: InputName,
})
export type NodeInput = z.infer<typeof NodeInput>

/** One file a run read as an input: its path under the upstream's out/ and the sha256 of its bytes. */
export const InputFileRecord = z.strictObject({
  path: RecordedOutputPath,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  /** the bytes came from the artifact store, not from git */
  stored: z.boolean().optional(),
})

/** What a verdict records of each input it read: the upstream, the upstream's verdict commit and every file. */
export const InputRecord = z.strictObject({
  as: InputName,
  from: NodeId,
  /** the commit that wrote the upstream's verdict the files came from */
  commit: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/),
  files: z.array(InputFileRecord),
})
export type InputRecord = z.infer<typeof InputRecord>

/**
 * An output file too large for git, kept in the artifact store: the verdict
 * records its content address and size; the bytes are the store's.
 */
export const StoredArtifact = z.strictObject({
  path: RecordedOutputPath,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
})
export type StoredArtifact = z.infer<typeof StoredArtifact>

/**
 * rigor.yaml `artifact_store:` argv hooks for outputs over runner.limits.file_size:
 * `<command...> put <sha256> <file>` stores a file's bytes; `<command...> get
 * <sha256> <destination>` writes them back. Exit 0 means done; never a shell.
 */
export const ArtifactStoreConfig = z.strictObject({
  command: Argv,
  timeout: Duration.default(10 * 60_000),
})
export type ArtifactStoreConfig = z.infer<typeof ArtifactStoreConfig>
