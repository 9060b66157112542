import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The docs and comments stand on their own: they cite RFCs and pages under docs/, never a file
// outside the repository. The patterns are assembled so that this file does not match itself.
const OUTSIDE = new RegExp(['\\.\\./' + 'shared\\b', '/work/' + 'shared\\b', 'SPEC' + '\\.md'].join('|'));

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' }).split('\0').filter(Boolean);
}

describe('references outside the repository', () => {
  it('no tracked file refers to a file outside the repository', () => {
    const offenders: string[] = [];
    for (const file of trackedFiles()) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue; // a tracked file deleted in the working tree
      }
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        if (OUTSIDE.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});
