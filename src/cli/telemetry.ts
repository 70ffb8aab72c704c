import {signalListenersBesideCommands} from '../core/configured-command.js'
import {exitCodeForSignal, STOP_SIGNALS} from '../core/errors.js'
import {otlpEndpointProblem} from '../core/validation.js'
import {type Attributes, noTelemetry, type Telemetry, type TelemetrySession} from '../core/telemetry/telemetry.js'

/** The optional peer dependencies `rigor` needs to send telemetry (package.json peerDependenciesMeta). */
export const OTEL_PACKAGES = [
  '@opentelemetry/api',
  '@opentelemetry/exporter-metrics-otlp-http',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/semantic-conventions',
]

/** Whether this process sends telemetry: only with the standard endpoint variable set, and not switched off by the standard one. */
export function telemetryWanted(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()) && env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true'
}

/**
 * Runs a command's work inside its root span (`rigor <command>`), and sends
 * what was recorded when it ends: normally, after an error, and on SIGINT,
 * SIGTERM or SIGHUP. Without OTEL_EXPORTER_OTLP_ENDPOINT, `fn` gets `noTelemetry` and the
 * OpenTelemetry SDK is never imported, so start-up costs nothing.
 *
 * Signals: a command that stops cleanly on a signal (`stopsCleanly`: it runs
 * in withAbort) returns normally and is flushed here; for any other command
 * this handler sends what was recorded, then exits with the signal's code as
 * Node would have.
 */
export async function withTelemetry<T>(
  command: {id: string; version: string},
  attributes: Attributes,
  fn: (telemetry: Telemetry) => Promise<T>,
  opts: {stopsCleanly?: boolean; env?: NodeJS.ProcessEnv} = {},
): Promise<T> {
  const env = opts.env ?? process.env
  if (!telemetryWanted(env)) return fn(noTelemetry)
  const warn = (message: string) => process.stderr.write(`Warning: ${message}\n`)
  const endpointProblem = otlpEndpointProblem(env.OTEL_EXPORTER_OTLP_ENDPOINT!)
  if (endpointProblem) {
    // a warning, as for a collector that is down: telemetry never stops the command it watches
    warn(`${endpointProblem}, so nothing is sent; set it to the collector's, e.g. http://localhost:4318`)
    return fn(noTelemetry)
  }
  // the SDK is an optional peer dependency (28 MB): installed by those who send telemetry
  const otel = await import('../core/telemetry/otel.js').catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ERR_MODULE_NOT_FOUND') throw err
    warn(
      `OTEL_EXPORTER_OTLP_ENDPOINT is set but the OpenTelemetry packages are not installed, so nothing is sent; install them beside rigor: npm install ${OTEL_PACKAGES.join(' ')}`,
    )
    return undefined
  })
  if (!otel) return fn(noTelemetry)
  const session: TelemetrySession = otel.openTelemetrySession({
    serviceVersion: command.version,
    // stderr, so --json output stays parseable
    onWarning: warn,
  })
  let received: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    received ??= signal
    // the command's own handler (withAbort) is listening: it stops cleanly and returns, and the finally below sends
    if (opts.stopsCleanly && signalListenersBesideCommands(signal).length > 1) return
    void session.shutdown(`interrupted by ${signal}`).finally(() => process.exit(exitCodeForSignal(signal)))
  }
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal)
  try {
    return await session.span(`rigor ${command.id}`, {...attributes, 'rigor.command': command.id}, async (root) => {
      try {
        return await fn(root)
      } finally {
        if (received) root.set({'rigor.interrupted': received})
      }
    })
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal)
    await session.shutdown(received ? `interrupted by ${received}` : undefined)
  }
}
