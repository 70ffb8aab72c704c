import {createServer} from 'node:http'
import {gunzipSync} from 'node:zlib'

export interface ReceivedSpan {
  traceId: string
  spanId: string
  /** undefined for a root span */
  parentSpanId?: string
  name: string
  attributes: Record<string, string | number | boolean>
  status: {code?: number; message?: string}
}

export interface ReceivedMetric {
  name: string
  unit?: string
  /** the data points' values: a sum's or gauge's value, a histogram's count */
  points: Array<{attributes: Record<string, string | number | boolean>; value: number}>
}

type OtlpValue = {stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean}

const attributesOf = (list: Array<{key: string; value: OtlpValue}> = []): Record<string, string | number | boolean> =>
  Object.fromEntries(
    list.map(({key, value}) => [
      key,
      value.stringValue ??
        (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
        value.doubleValue ??
        value.boolValue ??
        '',
    ]),
  )

/**
 * An OTLP/HTTP receiver in the test process, for the JSON encoding rigor's
 * exporters send: POST /v1/traces and /v1/metrics, answered 200.
 */
export async function otlpReceiver(): Promise<{
  endpoint: string
  spans: () => ReceivedSpan[]
  metrics: () => ReceivedMetric[]
  close: () => Promise<void>
}> {
  const traces: any[] = []
  const metrics: any[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      let body = Buffer.concat(chunks)
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body)
      const doc = JSON.parse(body.toString('utf8'))
      if (req.url === '/v1/traces') traces.push(doc)
      else if (req.url === '/v1/metrics') metrics.push(doc)
      res.writeHead(200, {'content-type': 'application/json'}).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: () =>
      traces.flatMap((doc) =>
        (doc.resourceSpans ?? []).flatMap((r: any) =>
          (r.scopeSpans ?? []).flatMap((s: any) =>
            (s.spans ?? []).map((span: any) => ({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId || undefined,
              name: span.name,
              attributes: attributesOf(span.attributes),
              status: span.status ?? {},
            })),
          ),
        ),
      ),
    metrics: () =>
      metrics.flatMap((doc) =>
        (doc.resourceMetrics ?? []).flatMap((r: any) =>
          (r.scopeMetrics ?? []).flatMap((s: any) =>
            (s.metrics ?? []).map((m: any) => ({
              name: m.name,
              unit: m.unit,
              points: (m.sum ?? m.gauge ?? m.histogram)?.dataPoints.map((p: any) => ({
                attributes: attributesOf(p.attributes),
                value: Number(p.asDouble ?? p.asInt ?? p.count ?? 0),
              })),
            })),
          ),
        ),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
