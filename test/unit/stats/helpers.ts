/**
 * Test helpers for the statistics: seeded random numbers (the expected values are
 * statistical, so the draws must be reproducible for a failure to be debuggable) and
 * a way to inspect an InputError's field and fix, not only its message.
 */

/** mulberry32: a small, well-mixed 32-bit generator returning uniforms in [0, 1). */
export function uniformGenerator(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Standard normal draws by Box–Muller. */
export function normalGenerator(seed: number): () => number {
  const uniform = uniformGenerator(seed)
  let spare: number | undefined
  return () => {
    if (spare !== undefined) {
      const value = spare
      spare = undefined
      return value
    }
    const u = 1 - uniform()
    const v = uniform()
    const radius = Math.sqrt(-2 * Math.log(u))
    spare = radius * Math.sin(2 * Math.PI * v)
    return radius * Math.cos(2 * Math.PI * v)
  }
}

/** A T×N matrix of independent N(mean, sd²) returns. */
export function noiseMatrix(seed: number, nRows: number, nTrials: number, mean = 0, sd = 0.01): number[][] {
  const normal = normalGenerator(seed)
  return Array.from({length: nRows}, () => Array.from({length: nTrials}, () => mean + sd * normal()))
}

/** The InputError `action` throws, so a test can look at its field and fix as well as its message. */
export function thrownInputError(action: () => unknown): {message: string; field?: string; fix?: string} {
  try {
    action()
  } catch (error) {
    if (error instanceof Error && error.name === 'InputError') return error as Error & {field?: string; fix?: string}
    throw error
  }
  throw new Error('expected an InputError, but nothing was thrown')
}
