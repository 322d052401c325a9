/**
 * Lints the Dockerfile with dockerfile-utils (npm; the validator behind VS Code's Dockerfile
 * support): syntax, instruction arguments, flags (COPY --from names a stage, RUN --mount), stage
 * names, casing, JSON forms. Every setting at "error", so that anything it can say fails CI.
 * hadolint, the usual linter, ships no package through the registries reached here.
 *   node docker/lint-dockerfile.mjs [Dockerfile]
 */
import { readFileSync } from 'node:fs';
import dockerfileUtils from 'dockerfile-utils';

const { validate, ValidationSeverity } = dockerfileUtils;
// LSP's DiagnosticSeverity: 1 error, 2 warning.
const ERROR = 1;

const file = process.argv[2] ?? 'Dockerfile';
const content = readFileSync(file, 'utf8');
const settings = Object.fromEntries(
  ['deprecatedMaintainer', 'directiveCasing', 'emptyContinuationLine', 'instructionCasing', 'instructionCmdMultiple', 'instructionEntrypointMultiple', 'instructionHealthcheckMultiple', 'instructionJSONInSingleQuotes', 'instructionWorkdirRelative'].map((k) => [k, ValidationSeverity.ERROR]),
);
const diagnostics = validate(content, settings);
for (const d of diagnostics) {
  const level = d.severity === ERROR ? 'error' : 'warning';
  console.error(`${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${level}: ${d.message}`);
}
// What it checks besides the settings: every stage named by COPY --from and FROM exists.
const stages = [...content.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1].toLowerCase());
const missing = [...content.matchAll(/--from=(\S+)/g)].map((m) => m[1].toLowerCase()).filter((s) => !stages.includes(s));
for (const stage of new Set(missing)) console.error(`${file}: error: COPY --from=${stage} names no stage`);
if (diagnostics.length > 0 || missing.length > 0) process.exit(1);
console.log(`dockerfile-utils: ${file} clean (${stages.length} stages: ${stages.join(', ')})`);
