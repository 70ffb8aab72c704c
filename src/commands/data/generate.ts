import {existsSync} from 'node:fs'
import {rename, rm, stat, writeFile} from 'node:fs/promises'
import {dirname, resolve, sep} from 'node:path'
import {Flags} from '@oclif/core'
import {RigorCommand} from '../../cli/base.js'
import {numberFlag} from '../../cli/flags.js'
import {makeOutputDir} from '../../core/output-dir.js'
import {InputError} from '../../core/errors.js'
import {generatePrices, MARKET_MODELS, pricesToCsv} from '../../core/data/generator.js'

export interface GenerateResult {
  file: string
  symbol: string
  seed: number
  years: number
  rows: number
  first: string
  last: string
}

export default class DataGenerate extends RigorCommand {
  static override summary = 'Write a seeded synthetic daily price CSV (regimes, GARCH volatility clustering, fat tails).'
  static override description = [
    'The same seed, years and symbol always give the same file. --symbol picks the market model:',
    ...Object.entries(MARKET_MODELS).map(([name, model]) => `  ${name}: ${model.description}`),
  ].join('\n')

  static override examples = ['<%= config.bin %> data generate --symbol SYNTH-A --seed 11 --years 10 --out data/SYNTH-A.csv']

  static override flags = {
    out: Flags.string({description: 'the CSV file to write (date,open,high,low,close,volume)', required: true}),
    seed: numberFlag({integer: true, min: 0, max: 0xffff_ffff})({description: 'random seed (default 0)', default: 0}),
    years: numberFlag({integer: true, min: 1, max: 200})({description: 'length in years of 252 business days', default: 10}),
    symbol: Flags.string({description: 'market model', options: Object.keys(MARKET_MODELS), default: 'SYNTH-A'}),
    start: Flags.string({description: 'first business day, YYYY-MM-DD', default: '2015-01-02'}),
    force: Flags.boolean({description: 'overwrite the file if it exists', default: false}),
  }

  async run(): Promise<GenerateResult> {
    const {flags} = await this.parse(DataGenerate)
    const file = resolve(flags.out)
    // `--out prices/` names a directory even when none exists yet: resolve() would drop the slash and write a file there
    if (existsSync(file) ? (await stat(file)).isDirectory() : flags.out.endsWith('/') || flags.out.endsWith(sep))
      throw new InputError('is a directory', {file, field: '--out', fix: 'name the CSV file to write, e.g. --out data/prices.csv'})
    if (existsSync(file) && !flags.force) {
      throw new InputError('already exists', {file, field: '--out', fix: 'pass --force to overwrite it, or choose another --out'})
    }
    const prices = generatePrices({seed: flags.seed, years: flags.years, model: flags.symbol, start: flags.start})
    await writeWhole(file, pricesToCsv(prices))
    const result: GenerateResult = {
      file,
      symbol: flags.symbol,
      seed: flags.seed,
      years: flags.years,
      rows: prices.close.length,
      first: prices.dates[0],
      last: prices.dates.at(-1)!,
    }
    this.say(`${result.symbol} seed ${result.seed}: ${result.rows} business days ${result.first} to ${result.last} -> ${file}`)
    return result
  }
}

/** The file whole or not at all: written beside it and renamed, so an interrupted or failed write leaves no half CSV. */
async function writeWhole(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`
  await makeOutputDir(dirname(file), {field: '--out', fix: 'name a file in a directory you can write to'})
  try {
    await writeFile(temp, text, {flag: 'wx'})
    await rename(temp, file)
  } catch (err) {
    await rm(temp, {force: true}).catch(() => undefined)
    throw new InputError(`cannot be written: ${(err as Error).message}`, {
      file,
      field: '--out',
      fix: 'name a file in a directory you can write to',
    })
  }
}
