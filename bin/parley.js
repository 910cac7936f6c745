#!/usr/bin/env node
'use strict';
// The one launcher for the operator tools: the package's bin (npx parley), the npm scripts and the
// image's /usr/local/bin/parley all start here. Plain JavaScript, so that a checkout that was never
// built gets a sentence instead of a "Cannot find module" stack trace.
const { existsSync } = require('node:fs');
const path = require('node:path');

const cli = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!existsSync(cli)) {
  process.stderr.write(`parley: ${path.relative(process.cwd(), cli) || cli} is missing: run npm run build first\n`);
  process.exit(1);
}
require(cli);
