#!/usr/bin/env node
// Entry point of `npx grid-deploy`: runs the compiled CLI from dist/ (built by `npm install`), then exits:
// a deployment script may leave timers or sockets behind, and everything it deployed is stopped by now.
import { runCli } from './run-cli.js'
await runCli('../../dist/node-peer/cli/deploy.js', 'grid-deploy')
process.exit(process.exitCode ?? 0)
