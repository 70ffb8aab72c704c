import {existsSync} from 'node:fs'
import type {Browser, Page} from 'puppeteer-core'

/** Debian's chromium (apt-get install chromium; .ci/run installs it): tests that need it are skipped without it. */
export const CHROMIUM = '/usr/bin/chromium'
export const HAS_CHROMIUM = existsSync(CHROMIUM)

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
]

export async function launchChromium(): Promise<Browser> {
  const {default: puppeteer} = await import('puppeteer-core')
  return puppeteer.launch({executablePath: CHROMIUM, args: FLAGS, headless: true})
}

/** A page that records every console error, uncaught exception and failed request, so a test can say there were none. */
export async function watchedPage(browser: Browser): Promise<{page: Page; problems: string[]}> {
  const page = await browser.newPage()
  const problems: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warn') problems.push(`console ${message.type()}: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error instanceof Error ? error.message : String(error)}`))
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`))
  return {page, problems}
}
