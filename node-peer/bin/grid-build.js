#!/usr/bin/env node
// Entry point of `npx grid-build`: runs the compiled CLI from dist/ (built by `npm install`).
import { runCli } from './run-cli.js'
await runCli('../../dist/node-peer/cli/build.js', 'grid-build')
