// Writes docs/reference/configuration.md from the config schema (`npm run docs:config`, run
// through tsx because the schema is TypeScript). test/unit/config/configuration-reference.test.ts
// fails when the committed file differs from what this writes.
import { writeFileSync } from 'node:fs';
import { CONFIGURATION_REFERENCE_PATH, renderConfigurationReference } from '../src/config/configuration-reference.ts';

writeFileSync(new URL(`../${CONFIGURATION_REFERENCE_PATH}`, import.meta.url), renderConfigurationReference());
