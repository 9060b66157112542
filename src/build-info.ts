import { readFileSync } from 'node:fs';

export interface BuildInfo {
  /** package.json's version. */
  version: string;
  /** The git commit the build came from (dist/build-info.json, written by `npm run build`). */
  commit: string;
}

let cached: BuildInfo | undefined;

function readJson(url: URL): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * Read once, at first use. Both paths resolve the same from src/ (tsx, tests) and dist/ (the
 * compiled build): package.json sits one level up; build-info.json exists only beside the
 * compiled files, so source runs report GIT_COMMIT or "unknown" instead of calling git.
 */
export function buildInfo(): BuildInfo {
  if (cached) return cached;
  const pkg = readJson(new URL('../package.json', import.meta.url));
  const built = readJson(new URL('./build-info.json', import.meta.url));
  cached = {
    version: typeof pkg?.version === 'string' ? pkg.version : 'unknown',
    commit: typeof built?.commit === 'string' ? built.commit : process.env.GIT_COMMIT?.trim() || 'unknown',
  };
  return cached;
}
