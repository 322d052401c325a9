import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../services.ts';

/** The lint rule that keeps services apart (eslint.config.mjs), tried on deliberate violations. */
const eslint = new ESLint({ cwd: ROOT });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('service boundaries', () => {
  it("refuses a service's import of another service's package, by name or by path", async () => {
    expect(await boundaryErrors('subgraphs/feed/src/violation.ts', "import { startSocialGraphService } from '@shutter/social-graph';\n")).toHaveLength(1);
    expect(await boundaryErrors('gateway/src/violation.ts', "import { SocialGraphClient } from '@shutter/social-graph/client';\n")).toHaveLength(1);
    expect(await boundaryErrors('subgraphs/media/src/violation.ts', "import { users } from '../../users/src/db/schema.ts';\n")).toHaveLength(1);
    expect(await boundaryErrors('packages/service/src/violation.ts', "import { feedDatabase } from '@shutter/feed';\n")).toHaveLength(1);
  });

  it('lets a service import its own files, the contracts and the shared packages', async () => {
    const allowed = "import { SocialGraphClient } from '@shutter/contracts';\nimport { requireViewer } from '@shutter/service';\nimport { feedDatabase } from './db/index.ts';\nexport const used = [SocialGraphClient, requireViewer, feedDatabase];\n";
    expect(await boundaryErrors('subgraphs/feed/src/allowed.ts', allowed)).toEqual([]);
    // Tests may start other services beside the one they test.
    expect(await boundaryErrors('subgraphs/feed/test/allowed.test.ts', "import { startSocialGraphService } from '@shutter/social-graph';\nexport const used = startSocialGraphService;\n")).toEqual([]);
  });
});
