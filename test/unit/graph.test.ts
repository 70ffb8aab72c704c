import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {InputError} from '../../src/core/errors.js'
import {MERMAID_LIMITS, mermaidFits, mermaidId, renderGraph, type GraphNode} from '../../src/core/views/graph.js'

const dag: GraphNode[] = [
  {id: 'arch/hidden/lower-25-upper-70', status: 'proven_rejected', team: 'arch', parent: 'arch/hidden', metrics: {sharpe: -0.123}},
  {id: 'arch/hidden', status: 'proven_accepted', team: 'arch', metrics: {sharpe: 0.914}},
  {
    id: 'arch/hidden/lower-25-upper-70/tighter-reg',
    status: 'pending',
    team: 'arch',
    parent: 'arch/hidden/lower-25-upper-70',
    spawned_by: {rule: 'tighter-regularisation', from: 'arch/hidden/lower-25-upper-70'},
  },
  {id: 'arch/hidden/lower-30-upper-70', status: 'running', team: 'arch', archived: true},
  {
    id: 'arch/hidden/sibling.v2',
    status: 'inconclusive',
    team: 'arch',
    parent: 'arch/hidden',
    spawned_by: {rule: 'retry "wide"', from: 'arch/hidden/lower-30-upper-70'},
  },
  {id: 'loss/sharpe-pf', status: 'blocked', team: 'loss', parent: 'loss/missing-parent'},
]

describe('renderGraph: mermaid', () => {
  const text = renderGraph(dag, {format: 'mermaid'})
  const lines = text.trimEnd().split('\n')

  it('is a left-to-right flowchart with one sanitised, quoted box per node, sorted by id', () => {
    expect(lines[0]).toBe('flowchart LR')
    const boxes = lines.filter((line) => line.includes('["'))
    expect(boxes).toEqual([
      '  n_arch_shidden["arch/hidden<br/>proven_accepted<br/>sharpe 0.91"]',
      '  n_arch_shidden_slower_h25_hupper_h70["lower-25-upper-70<br/>proven_rejected<br/>sharpe -0.12"]',
      '  n_arch_shidden_slower_h25_hupper_h70_stighter_hreg["tighter-reg<br/>pending"]',
      '  n_arch_shidden_slower_h30_hupper_h70["lower-30-upper-70<br/>running<br/>archived"]',
      '  n_arch_shidden_ssibling_dv2["sibling.v2<br/>inconclusive"]',
      '  n_loss_ssharpe_hpf["loss/sharpe-pf<br/>blocked"]',
    ])
  })

  it('draws parent -> child edges, rule spawns labelled, a sibling spawn dashed', () => {
    expect(lines.filter((line) => line.includes('->'))).toEqual([
      '  n_arch_shidden --> n_arch_shidden_slower_h25_hupper_h70',
      '  n_arch_shidden --> n_arch_shidden_slower_h30_hupper_h70',
      '  n_arch_shidden --> n_arch_shidden_ssibling_dv2',
      '  n_arch_shidden_slower_h25_hupper_h70 -->|"tighter-regularisation"| n_arch_shidden_slower_h25_hupper_h70_stighter_hreg',
      '  n_arch_shidden_slower_h30_hupper_h70 -.->|"retry #34;wide#34;"| n_arch_shidden_ssibling_dv2',
    ])
  })

  it('colours nodes by status with classDef and class', () => {
    expect(text).toContain('  classDef status_proven_accepted fill:#c8e6c9,stroke:#2e7d32,color:#000000\n')
    expect(text).toContain('  classDef status_proven_rejected fill:#ffcdd2,stroke:#c62828,color:#000000\n')
    expect(text).toContain('  class n_arch_shidden status_proven_accepted\n')
    expect(text).toContain('  class n_loss_ssharpe_hpf status_blocked\n')
    expect(text).toContain('  classDef archived stroke-dasharray:5 5\n')
    expect(text).toContain('  class n_arch_shidden_slower_h30_hupper_h70 archived\n')
    expect(text).not.toContain('status_cancelled')
  })

  it('gives the same text whatever the input order', () => {
    expect(renderGraph([...dag].reverse(), {format: 'mermaid'})).toBe(text)
  })

  it('escapes label text that would break the diagram', () => {
    const out = renderGraph([{id: 'a', status: 'odd"<b>#|`', team: 't'}], {format: 'mermaid'})
    expect(out).toContain('n_a["a<br/>odd#34;#60;b#62;#35;#124;#96;"]')
    expect(out).toContain('classDef status_odd__b____ fill:#ffffff')
  })

  it('renders an empty DAG as a valid, empty flowchart', () => {
    expect(renderGraph([], {format: 'mermaid'})).toBe('flowchart LR\n  %% no nodes\n')
  })
})

describe('renderGraph: dot', () => {
  const text = renderGraph(dag, {format: 'dot'})

  it('is a digraph with filled, coloured boxes and quoted ids', () => {
    expect(text.startsWith('digraph rigor {\n')).toBe(true)
    expect(text.endsWith('}\n')).toBe(true)
    expect(text).toContain('  "arch/hidden" [label="arch/hidden\\nproven_accepted\\nsharpe 0.91", fillcolor="#c8e6c9", color="#2e7d32"];')
    expect(text).toContain(
      '  "arch/hidden/lower-30-upper-70" [label="lower-30-upper-70\\nrunning\\narchived", fillcolor="#bbdefb", color="#1e88e5", style="rounded,filled,dashed"];',
    )
  })

  it('labels rule edges, escaping quotes, and dashes sibling spawns', () => {
    expect(text).toContain(
      '  "arch/hidden/lower-25-upper-70" -> "arch/hidden/lower-25-upper-70/tighter-reg" [label="tighter-regularisation"];',
    )
    expect(text).toContain('  "arch/hidden/lower-30-upper-70" -> "arch/hidden/sibling.v2" [label="retry \\"wide\\"", style=dashed];')
    expect(text).toContain('  "arch/hidden" -> "arch/hidden/sibling.v2";')
  })
})

describe('renderGraph: requires', () => {
  const pipeline: GraphNode[] = [
    {id: 'p/train', status: 'proven_accepted', team: 't'},
    {id: 'p/check', status: 'proven_accepted', team: 't'},
    {id: 'p/backtest', status: 'pending', team: 't', requires: ['p/train', 'p/check'], inputs: [{from: 'p/train', as: 'model'}]},
  ]

  it('draws a requirement the node does not read from as a dashed edge labelled requires; one it reads from keeps its data edge only', () => {
    const text = renderGraph(pipeline, {format: 'mermaid'})
    expect(text).toContain('  n_p_scheck -.->|"requires"| n_p_sbacktest')
    expect(text).toContain('  n_p_strain ==>|"model"| n_p_sbacktest')
    expect(text).not.toContain('n_p_strain -.->')
    const dot = renderGraph(pipeline, {format: 'dot'})
    expect(dot).toContain('"p/check" -> "p/backtest" [label="requires", style=dashed];')
    // what a root requires downstream is drawn with it
    expect(renderGraph(pipeline, {format: 'mermaid', root: 'p/check'})).toContain('n_p_sbacktest[')
  })
})

describe('renderGraph: --root', () => {
  it('keeps the root and everything reachable from it, spawn edges included', () => {
    const text = renderGraph(dag, {format: 'dot', root: 'arch/hidden/lower-30-upper-70'})
    expect(text).toContain('"arch/hidden/lower-30-upper-70" [label="arch/hidden/lower-30-upper-70\\n')
    // its lineage parent is not drawn, so the full id says where it lives
    expect(text).toContain('"arch/hidden/sibling.v2" [label="arch/hidden/sibling.v2\\n')
    expect(text).toContain('"arch/hidden/lower-30-upper-70" -> "arch/hidden/sibling.v2" [label="retry \\"wide\\"", style=dashed];')
    expect(text).not.toContain('"arch/hidden" [')
    expect(text).not.toContain('loss/sharpe-pf')
    expect(text).not.toContain('"arch/hidden" ->')
  })

  it('keeps a whole subtree', () => {
    const text = renderGraph(dag, {format: 'mermaid', root: 'arch/hidden'})
    expect(text).not.toContain('n_loss')
    expect(text.match(/\["/g)).toHaveLength(5)
  })

  it('roots every node under a lineage prefix that is no node itself', () => {
    const text = renderGraph(dag, {format: 'mermaid', root: 'loss'})
    expect(text).toContain('n_loss_ssharpe_hpf[')
    expect(text).not.toContain('n_arch')
    // "arch" is no node: its nodes, not other ids that start with the same letters
    const arch = renderGraph([...dag, {id: 'archive/x', status: 'pending', team: 't'}], {format: 'mermaid', root: 'arch/'})
    expect(arch.match(/\["/g)).toHaveLength(5)
    expect(arch).not.toContain('n_archive')
  })

  it('refuses an unknown root', () => {
    expect(() => renderGraph(dag, {format: 'mermaid', root: 'nope'})).toThrow(InputError)
  })

  it('suggests the closest ids for a mistyped root', () => {
    const fixOf = (root: string) => {
      try {
        renderGraph(dag, {format: 'mermaid', root})
      } catch (err) {
        return (err as InputError).fix
      }
      throw new Error('no error')
    }
    expect(fixOf('arch/hiden')).toContain('did you mean arch/hidden?')
    expect(fixOf('zzz/unrelated')).not.toContain('did you mean')
  })
})

describe('mermaidId', () => {
  it('is one-to-one on node ids and safe as a mermaid id', () => {
    const segment = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,6}$/)
    const id = fc.array(segment, {minLength: 1, maxLength: 4}).map((parts) => parts.join('/'))
    fc.assert(
      fc.property(id, id, (a, b) => {
        expect(mermaidId(a)).toMatch(/^n_[A-Za-z0-9_]+$/)
        if (a !== b) expect(mermaidId(a)).not.toBe(mermaidId(b))
      }),
      {numRuns: 1000},
    )
    expect(mermaidId('a_b')).not.toBe(mermaidId('a/b'))
    expect(mermaidId('end')).toBe('n_end')
  })
})

describe('renderGraph: sweeps', () => {
  const sweep: GraphNode[] = [
    {id: 'trend/momentum', status: 'pending', team: 'trend', sweep: true},
    ...[20, 60, 120].map((lookback, i) => ({
      id: `trend/momentum/lookback-${lookback}`,
      status: i === 0 ? 'proven_rejected' : 'proven_accepted',
      team: 'trend',
      parent: 'trend/momentum',
      metrics: {sharpe: i * 0.4},
    })),
    {
      id: 'trend/momentum/lookback-120/slower',
      status: 'pending',
      team: 'trend',
      parent: 'trend/momentum/lookback-120',
      spawned_by: {rule: 'slow-down', from: 'trend/momentum/lookback-120'},
    },
  ]

  it('draws a sweep group as a group counting its variants, never as pending', () => {
    const text = renderGraph(sweep, {format: 'mermaid'})
    expect(text).toContain('  n_trend_smomentum["trend/momentum<br/>sweep: 3 variants<br/>2 accepted, 1 rejected<br/>best sharpe 0.80"]')
    expect(text).toContain('  class n_trend_smomentum sweep_group')
    expect(text).not.toMatch(/class [^\n]*n_trend_smomentum[,\s][^\n]*status_pending/)
  })

  it('folds the variants into the group box when collapsed, keeping what they spawned', () => {
    const text = renderGraph(sweep, {format: 'mermaid', collapseSweeps: true})
    expect(text).not.toContain('lookback-20<br/>')
    expect(text).toContain('  n_trend_smomentum -->|"slow-down"| n_trend_smomentum_slookback_h120_sslower')
    expect(text.split('\n').filter((line) => line.includes('["'))).toHaveLength(2)
  })

  it('draws a variant given as --root, and what it spawned, though sweeps are folded', () => {
    const text = renderGraph(sweep, {format: 'mermaid', collapseSweeps: true, root: 'trend/momentum/lookback-120'})
    expect(text).not.toContain('%% no nodes')
    expect(text).toContain('n_trend_smomentum_slookback_h120["')
    expect(text).toContain('n_trend_smomentum_slookback_h120 -->|"slow-down"| n_trend_smomentum_slookback_h120_sslower')
    expect(text).not.toContain('lookback-20<br/>')
  })
})

describe("mermaid's limits", () => {
  const star = (children: number): string =>
    renderGraph(
      [
        {id: 'a', status: 'proven_accepted', team: 't'},
        ...Array.from({length: children}, (_, i) => ({id: `a/${i}`, status: 'pending', team: 't'})),
      ],
      {format: 'mermaid'},
    )

  it('counts the edges as well as the characters: 501 short edges do not fit, 500 do', () => {
    expect(star(501).length).toBeLessThan(MERMAID_LIMITS.characters)
    expect(mermaidFits(star(501))).toBe(false)
    expect(mermaidFits(star(500))).toBe(true)
  })

  it('a diagram over 50,000 characters does not fit, whatever its edges', () => {
    const nodes = Array.from({length: 800}, (_, i) => ({id: `root-${i}/${'x'.repeat(40)}`, status: 'pending', team: 't'}))
    const text = renderGraph(nodes, {format: 'mermaid'})
    expect(text.length).toBeGreaterThan(MERMAID_LIMITS.characters)
    expect(mermaidFits(text)).toBe(false)
  })
})
