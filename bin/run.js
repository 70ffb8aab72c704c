#!/usr/bin/env node
// The CLI is one bundle (npm run build writes dist/rigor.mjs): see scripts/bundle.mjs.
import {run} from '../dist/rigor.mjs'

await run(import.meta.url)
