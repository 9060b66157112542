#!/usr/bin/env node
// The `gatehouse` command: runs the TypeScript CLI through tsx (a runtime dependency), so no
// build step is needed. Arguments reach it unchanged in process.argv.
import { tsImport } from 'tsx/esm/api';

await tsImport('../src/cli/index.ts', import.meta.url);
