import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {OTEL_PACKAGES} from '../../src/cli/telemetry.js'

describe('the OpenTelemetry packages', () => {
  it('are optional peer dependencies, and the install hint names exactly them', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
    const peers = Object.keys(pkg.peerDependencies ?? {}).filter((name) => name.startsWith('@opentelemetry/'))
    expect([...OTEL_PACKAGES].sort()).toEqual(peers.sort())
    for (const name of OTEL_PACKAGES) {
      expect(pkg.peerDependenciesMeta[name]).toEqual({optional: true})
      expect(pkg.dependencies[name]).toBeUndefined()
      expect(pkg.devDependencies[name]).toBe(pkg.peerDependencies[name])
    }
  })
})
