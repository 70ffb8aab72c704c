import {describe, expect, it} from 'vitest'
import {markdownCell, markdownText} from '../../src/core/state/markdown-text.js'
import {printable} from '../../src/core/validation.js'

describe('markdownText', () => {
  it('writes line breaks and escape sequences as escapes, so no line of its own can start', () => {
    expect(markdownText('a\n# PASS\r\n\u001b[2J\u2028b\u009b')).toBe('a\\n# PASS\\r\\n\\u001b\\[2J\\u2028b\\u009b')
  })

  it('writes bidirectional overrides and isolates as escapes: the text shows in the order it is stored', () => {
    expect(markdownText('sharpe \u202eSSAP\u202c ok \u2066x\u2069')).toBe('sharpe \\u202eSSAP\\u202c ok \\u2066x\\u2069')
  })

  it('escapes what opens HTML, a comment, a link, an image, code or emphasis', () => {
    expect(markdownText('<!-- x --> <img src=x> ![i](u) [l](u) `c` **b** ~~s~~ a\\b')).toBe(
      '\\<!-- x --> \\<img src=x> !\\[i\\](u) \\[l\\](u) \\`c\\` \\*\\*b\\*\\* \\~\\~s\\~\\~ a\\\\b',
    )
  })

  it('leaves an underscore between letters as it is, and escapes one that could open emphasis', () => {
    expect(markdownText('allow_unverified_returns _x_ __y__')).toBe('allow_unverified_returns \\_x\\_ \\_\\_y\\_\\_')
  })

  it('escapes a heading, quote, list or setext marker only where the text starts a line', () => {
    expect(markdownText('# h')).toBe('\\# h')
    expect(markdownText('> q')).toBe('\\> q')
    expect(markdownText('- l')).toBe('\\- l')
    expect(markdownText('12. l')).toBe('12\\. l')
    expect(markdownText('p > 0.05 - 1. # 2')).toBe('p > 0.05 - 1. # 2')
  })

  it('markdownCell also escapes the pipe that would end a table cell', () => {
    expect(markdownCell('a | b')).toBe('a \\| b')
  })
})

describe('printable', () => {
  it('shows a value on one line with every control, separator and direction override escaped', () => {
    expect(printable('a\n\u001b[2J\u009b\u2028\u202eb"')).toBe('a\\n\\u001b[2J\\u009b\\u2028\\u202eb\\"')
  })
})
