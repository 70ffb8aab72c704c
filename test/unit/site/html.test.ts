import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {escapeHtml, html, joinHtml, trusted} from '../../../src/core/views/site/html.js'
import {nodePagePath, pagedPath, rootFrom} from '../../../src/core/views/site/paths.js'
import {linesEscaped} from '../../../src/core/validation.js'

/** What a browser's HTML parser gives back for escaped text: the inverse of escapeHtml. */
const unescaped = (text: string) =>
  text.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_, name: string) => ({amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`'})[name]!)

describe("the site's HTML", () => {
  it('escapes every value put into a template, in text and in quoted attributes', () => {
    const evil = `<script>alert("x")</script>' onmouseover='y' \`z\` &amp;`
    const out = html`<p title="${evil}">${evil}</p>`.text
    expect(out).not.toContain('<script')
    expect(out).not.toMatch(/title="[^"]*"[^>]*onmouseover/)
    expect(out).toBe(`<p title="${escapeHtml(evil)}">${escapeHtml(evil)}</p>`)
    expect(unescaped(escapeHtml(evil))).toBe(evil)
  })

  it('keeps markup it made itself, joins lists, and leaves nothing for null, undefined and false', () => {
    const inner = html`<b>${'<i>'}</b>`
    expect(html`<p>${inner}${[1, '<', inner]}${null}${undefined}${false}</p>`.text).toBe('<p><b>&lt;i&gt;</b>1&lt;<b>&lt;i&gt;</b></p>')
    expect(joinHtml(['a<', trusted('<br>'), 'b'], ', ').text).toBe('a&lt;, <br>, b')
  })

  it('never lets a string open a tag or leave an attribute (any string); its controls are shown as escapes', () => {
    fc.assert(
      fc.property(fc.string({unit: 'binary'}), (s) => {
        const out = html`<td data-x="${s}">${s}</td>`.text
        const match = /^<td data-x="([^"<>]*)">([^"<>]*)<\/td>$/.exec(out)
        expect(match, out).not.toBeNull()
        expect(unescaped(match![1]!)).toBe(linesEscaped(s))
        expect(unescaped(match![2]!)).toBe(linesEscaped(s))
      }),
    )
  })

  it('shows bidirectional overrides, C0 and C1 controls as escapes, keeping line breaks and tabs', () => {
    expect(escapeHtml('ok\u202eLIAF\u001b[2J\u009b1m\r\n\tnext')).toBe('ok\\u202eLIAF\\u001b[2J\\u009b1m\\r\n\tnext')
    expect(escapeHtml('plain <b>')).toBe('plain &lt;b&gt;')
  })
})

describe("the site's paths", () => {
  it('one page per node id, flat under nodes/, short enough for any file system', () => {
    expect(nodePagePath('trend/momentum/lookback-20')).toBe('nodes/trend~momentum~lookback-20.html')
    const long = Array.from({length: 12}, (_, i) => `segment-${i}-${'x'.repeat(30)}`).join('/')
    const other = `${long.slice(0, -1)}y`
    expect(nodePagePath(long).length).toBeLessThan(200)
    expect(nodePagePath(long)).not.toBe(nodePagePath(other))
    expect(pagedPath('log.html', 1)).toBe('log.html')
    expect(pagedPath('log.html', 3)).toBe('log-3.html')
    expect(rootFrom('index.html')).toBe('')
    expect(rootFrom('nodes/a~b.html')).toBe('../')
  })
})
