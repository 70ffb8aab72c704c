/**
 * The OpenTelemetry implementation of Telemetry: spans and metrics sent over
 * OTLP/HTTP (JSON) to OTEL_EXPORTER_OTLP_ENDPOINT, with the official SDK. Only
 * src/cli/telemetry.ts imports this file, dynamically, when that variable is
 * set: nothing here is loaded otherwise.
 *
 * Nothing is registered globally: the tracer and meter providers belong to the
 * session, and a span's parent is the scope it was started from (passed down
 * explicitly), not an ambient context.
 */
import {ROOT_CONTEXT, type Span, SpanStatusCode, trace} from '@opentelemetry/api'
import {OTLPMetricExporter} from '@opentelemetry/exporter-metrics-otlp-http'
import {OTLPTraceExporter} from '@opentelemetry/exporter-trace-otlp-http'
import {defaultResource, detectResources, envDetector, resourceFromAttributes} from '@opentelemetry/resources'
import {MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter} from '@opentelemetry/sdk-metrics'
import {BasicTracerProvider, BatchSpanProcessor, type SpanExporter} from '@opentelemetry/sdk-trace-base'
import {ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION} from '@opentelemetry/semantic-conventions'
import {ATTR, type Attributes, type AttributeValue, type Measurement, type Telemetry, type TelemetrySession} from './telemetry.js'

/** How long sending at the end may take before the command leaves anyway: a dead collector must not hold rigor up. */
const SHUTDOWN_LIMIT_MS = 15_000

const defined = (attributes: Attributes): Record<string, AttributeValue> =>
  Object.fromEntries(Object.entries(attributes).filter((entry): entry is [string, AttributeValue] => entry[1] !== undefined))

export function openTelemetrySession(opts: {serviceVersion: string; onWarning?: (message: string) => void}): TelemetrySession {
  const resource = defaultResource()
    .merge(resourceFromAttributes({[ATTR_SERVICE_NAME]: 'rigor', [ATTR_SERVICE_VERSION]: opts.serviceVersion}))
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over rigor's own names
    .merge(detectResources({detectors: [envDetector]}))
  // the first failure of each signal, said once when the command ends: a collector that is down must not pass unnoticed
  const failures = new Map<string, string>()
  const noting =
    (what: string) =>
    <R extends {code: number; error?: Error}>(result: R): R => {
      if (result.code !== 0 && !failures.has(what)) failures.set(what, result.error?.message ?? 'the export failed')
      return result
    }
  // the exporters read OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]ENDPOINT, _HEADERS and _TIMEOUT themselves
  const traces = new OTLPTraceExporter()
  const spanExporter: SpanExporter = {
    export: (spans, done) => traces.export(spans, (result) => done(noting('spans')(result))),
    shutdown: () => traces.shutdown(),
    forceFlush: () => traces.forceFlush(),
  }
  const metrics = new OTLPMetricExporter()
  const metricExporter: PushMetricExporter = {
    export: (data, done) => metrics.export(data, (result) => done(noting('metrics')(result))),
    shutdown: () => metrics.shutdown(),
    forceFlush: () => metrics.forceFlush(),
    selectAggregationTemporality: (kind) => metrics.selectAggregationTemporality(kind),
    selectAggregation: (kind) => metrics.selectAggregation(kind),
  }
  const tracerProvider = new BasicTracerProvider({resource, spanProcessors: [new BatchSpanProcessor(spanExporter)]})
  const meterProvider = new MeterProvider({
    resource,
    // a command is short: what it measured is sent when it ends (shutdown), and once a minute while it runs
    readers: [new PeriodicExportingMetricReader({exporter: metricExporter, exportIntervalMillis: 60_000})],
  })
  const tracer = tracerProvider.getTracer('rigor', opts.serviceVersion)
  const meter = meterProvider.getMeter('rigor', opts.serviceVersion)
  const instruments = {
    runs: meter.createCounter('rigor.node.runs', {description: 'node runs that ended with a verdict'}),
    runDuration: meter.createHistogram('rigor.node.run.duration', {unit: 's', description: 'how long a node run took'}),
    runCost: meter.createCounter('rigor.node.run.cost', {unit: 'USD', description: 'what the runners reported their runs cost'}),
    agentCalls: meter.createCounter('rigor.agent.calls', {description: 'agent calls (design, assess)'}),
    agentAttempts: meter.createCounter('rigor.agent.attempts', {description: 'attempts the agent calls made'}),
    agentDuration: meter.createHistogram('rigor.agent.call.duration', {
      unit: 's',
      description: 'how long an agent call took, retries included',
    }),
    agentCost: meter.createCounter('rigor.agent.cost', {unit: 'USD', description: 'what the agent calls cost'}),
    agentTokens: meter.createCounter('rigor.agent.tokens', {unit: '{token}', description: 'tokens the agent calls reported'}),
    audits: meter.createCounter('rigor.audits', {description: 'audits written'}),
    steps: meter.createCounter('rigor.cycle.steps', {description: 'cycle steps run'}),
    stepDuration: meter.createHistogram('rigor.cycle.step.duration', {unit: 's', description: 'how long a cycle step took'}),
  }
  const measure = (m: Measurement): void => {
    switch (m.kind) {
      case 'node_run': {
        const labels = {[ATTR.team]: m.team, [ATTR.status]: m.status}
        instruments.runs.add(1, labels)
        instruments.runDuration.record(m.duration_s, labels)
        if (m.cost_usd !== undefined) instruments.runCost.add(m.cost_usd, {[ATTR.team]: m.team})
        return
      }
      case 'agent_call': {
        const kind = {[ATTR.agentKind]: m.agent_kind}
        instruments.agentCalls.add(1, {...kind, 'rigor.agent.outcome': m.outcome})
        instruments.agentAttempts.add(m.attempts, kind)
        instruments.agentDuration.record(m.duration_s, kind)
        instruments.agentCost.add(m.cost_usd, kind)
        instruments.agentTokens.add(m.tokens_in, {...kind, 'rigor.agent.direction': 'in'})
        instruments.agentTokens.add(m.tokens_out, {...kind, 'rigor.agent.direction': 'out'})
        return
      }
      case 'audit':
        instruments.audits.add(1, {[ATTR.verdict]: m.verdict})
        return
      case 'cycle_step':
        instruments.steps.add(1, {[ATTR.step]: m.step, 'rigor.cycle.outcome': m.outcome})
        instruments.stepDuration.record(m.duration_s, {[ATTR.step]: m.step})
        return
    }
  }

  // spans still open when the command is stopped are ended (failed) before the last send
  const open = new Set<Span>()
  const scope = (current: Span | undefined): Telemetry => ({
    async span(name, attributes, fn) {
      const parent = current ? trace.setSpan(ROOT_CONTEXT, current) : ROOT_CONTEXT
      const span = tracer.startSpan(name, {attributes: defined(attributes)}, parent)
      open.add(span)
      try {
        return await fn(scope(span))
      } catch (err) {
        span.recordException(err as Error)
        span.setStatus({code: SpanStatusCode.ERROR, message: (err as Error).message})
        throw err
      } finally {
        open.delete(span)
        span.end()
      }
    },
    set: (attributes) => current?.setAttributes(defined(attributes)),
    measure,
  })
  const top = scope(undefined)

  return {
    ...top,
    async shutdown(interrupted) {
      for (const span of open) {
        span.setStatus({code: SpanStatusCode.ERROR, message: interrupted ?? 'still open when the command ended'})
        span.end()
      }
      open.clear()
      let timer: NodeJS.Timeout | undefined
      const limit = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_LIMIT_MS)
        timer.unref()
      })
      const sent = await Promise.race([
        Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]).then(() => true),
        limit.then(() => false),
      ])
      clearTimeout(timer)
      if (!sent) failures.set('spans and metrics', `the collector did not answer within ${SHUTDOWN_LIMIT_MS / 1000}s`)
      for (const [what, why] of failures)
        opts.onWarning?.(`OpenTelemetry: ${what} were not sent (${why}); check OTEL_EXPORTER_OTLP_ENDPOINT`)
    },
  }
}
