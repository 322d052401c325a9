import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildState, sourceHash } from '../build.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A web workspace with sources, and a build stamped with the hash of what it was built from. */
function workspace() {
  const root = mkdtempSync(join(tmpdir(), 'shutter-web-build-'));
  dirs.push(root);
  const web = join(root, 'web');
  mkdirSync(join(web, 'src', 'routes'), { recursive: true });
  writeFileSync(join(web, 'index.html'), '<div id="root"></div>');
  writeFileSync(join(web, 'src', 'main.tsx'), 'console.log(1);');
  writeFileSync(join(web, 'src', 'routes', 'feed.tsx'), 'export {};');
  writeFileSync(join(root, 'package-lock.json'), '{}');
  const stamp = () => {
    mkdirSync(join(web, 'dist'), { recursive: true });
    writeFileSync(join(web, 'dist', 'index.html'), 'built');
    writeFileSync(join(web, 'dist', '.build-stamp'), sourceHash(web));
  };
  return { web, stamp };
}

describe('whether the client must be built again', () => {
  it('builds when there is no build, or a build without a stamp', () => {
    const { web } = workspace();
    expect(buildState(web)).toMatchObject({ fresh: false, reason: 'no build yet' });
    mkdirSync(join(web, 'dist'));
    writeFileSync(join(web, 'dist', 'index.html'), 'built');
    expect(buildState(web).fresh).toBe(false);
  });

  it('is fresh after a stamped build, and stale after a change to any source or the lockfile', () => {
    const { web, stamp } = workspace();
    stamp();
    expect(buildState(web)).toMatchObject({ fresh: true });
    writeFileSync(join(web, 'src', 'routes', 'feed.tsx'), 'export const x = 1;');
    expect(buildState(web)).toMatchObject({ fresh: false, reason: 'sources changed since the last build' });
    stamp();
    writeFileSync(join(web, 'src', 'routes', 'new.tsx'), 'export {};');
    expect(buildState(web).fresh).toBe(false);
    stamp();
    writeFileSync(join(web, '..', 'package-lock.json'), '{"lockfileVersion":3}');
    expect(buildState(web).fresh).toBe(false);
  });

  it('ignores what does not go into the bundle (tests) and what only touches times (a checkout)', () => {
    const { web, stamp } = workspace();
    stamp();
    writeFileSync(join(web, 'src', 'routes', 'feed.test.tsx'), 'it("x", () => {});');
    writeFileSync(join(web, 'src', 'main.tsx'), 'console.log(1);');
    expect(buildState(web).fresh).toBe(true);
  });
});
