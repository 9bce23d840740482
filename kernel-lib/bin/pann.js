#!/usr/bin/env node
// The pann command line (built from kernel-lib/src/cli/pann.ts; run `npm run build` first in a checkout).
require('../dist/cli/pann').main(process.argv);
