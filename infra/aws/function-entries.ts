import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { PortName } from '../../functions/declaration.js';
import { FUNCTIONS, REPOSITORY_ROOT, entryOf, type FunctionId } from '../system.js';

/** Where synth writes each function's Lambda entry (gitignored: it is derived from the declaration). */
export const FUNCTION_ENTRIES_DIR = join(REPOSITORY_ROOT, '.build', 'function-entries');

const kebab = (name: string) => name.replace(/[A-Z]/gu, (letter) => `-${letter.toLowerCase()}`);

/** The module of a port's AWS adapter. */
export const awsPortModule = (port: PortName): string => `functions/adapters/aws/ports/${kebab(port)}.ts`;

const importPath = (from: string, module: string) =>
  relative(from, join(REPOSITORY_ROOT, module)).replace(/\\/gu, '/').replace(/\.ts$/u, '.js');

/**
 * The Lambda entry of a function: its declaration and the AWS adapters of its declared ports,
 * imported one module each, so the bundle holds the clients of those ports and no other.
 */
export function functionEntrySource(functionId: FunctionId): string {
  const ports = [...FUNCTIONS[functionId].module.declaration.ports].sort();
  return [
    `// Written by infra/aws/function-entries.ts from the declaration in ${entryOf(functionId)}.`,
    // First, so that its stacks are source-mapped before anything else in the bundle runs.
    `import '${importPath(FUNCTION_ENTRIES_DIR, 'functions/adapters/aws/map-stacks.ts')}';`,
    `import { declaration } from '${importPath(FUNCTION_ENTRIES_DIR, entryOf(functionId))}';`,
    `import { onAws } from '${importPath(FUNCTION_ENTRIES_DIR, 'functions/adapters/aws/on-aws.ts')}';`,
    ...ports.map((port) => `import { ${port} } from '${importPath(FUNCTION_ENTRIES_DIR, awsPortModule(port))}';`),
    '',
    `export const handler = onAws(declaration, { ${ports.join(', ')} });`,
    '',
  ].join('\n');
}

/** Writes the function's entry (only when it changed, so the asset hash stays put) and returns its path. */
export function writeFunctionEntry(functionId: FunctionId): string {
  const path = join(FUNCTION_ENTRIES_DIR, `${kebab(functionId)}.ts`);
  const source = functionEntrySource(functionId);
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current !== source) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, source);
  }
  return path;
}
