import { existsSync, readFileSync, readdirSync } from 'node:fs';
import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { WORKFLOW_ERROR_NAMES } from '../../functions/errors.js';
import { FUNCTIONS, STATE_MACHINES, entryOf, functionPlaceholder } from '../../infra/system.js';
import { allStates, matchedErrors, type State } from '../support/asl.js';

const files = readdirSync('workflows').filter((file) => file.endsWith('.asl.json'));
const load = (file: string) =>
  JSON.parse(readFileSync(`workflows/${file}`, 'utf8')) as { States: Record<string, State> };

/** Every key and JSONPath a state passes on, however deeply nested. */
function passedOn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(passedOn);
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).flatMap(([key, nested]) => [key, ...passedOn(nested)]);
  return [];
}

describe('workflows', () => {
  it.each(files)('%s passes no secret through execution data (which is logged in full)', (file) => {
    const passed = allStates(load(file)).flatMap(([, state]) =>
      passedOn([state['Parameters'], state['ResultSelector'], state['Arguments']]),
    );
    expect(passed.filter((text) => /secret|password|private.?key|bot.?token|signing/iu.test(text))).toEqual([]);
    // The one credential that does pass: the task token, handed to the function that parks it.
    expect(
      passed
        .filter((text) => /token/iu.test(text))
        .every((text) => /^taskToken(\.\$)?$|^\$\$\.Task\.Token$/u.test(text)),
    ).toBe(true);
  });

  it.each(files)('%s is valid ASL', (file) => {
    const result = validator(load(file));
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it.each(files)('%s names only errors that exist in errors.ts (or States.* / Lambda.*)', (file) => {
    const names = allStates(load(file)).flatMap(([, state]) => matchedErrors(state));
    const unknown = names.filter(
      (name) => !name.startsWith('States.') && !name.startsWith('Lambda.') && !WORKFLOW_ERROR_NAMES.includes(name),
    );
    expect(unknown).toEqual([]);
  });

  it.each(files)('%s has unique Task state names (the local runner keys its overrides on them)', (file) => {
    const taskNames = allStates(load(file))
      .filter(([, state]) => state['Type'] === 'Task')
      .map(([name]) => name);
    expect(new Set(taskNames).size).toBe(taskNames.length);
  });

  it.each(Object.entries(STATE_MACHINES))(
    '%s: every ${placeholder} is declared and every declared function exists',
    (_name, spec) => {
      const text = readFileSync(spec.definitionFile, 'utf8');
      const placeholders = [...text.matchAll(/\$\{(\w+)\}/gu)].map((match) => match[1]);
      expect(new Set(placeholders)).toEqual(
        new Set([...spec.steps.map(functionPlaceholder), ...Object.keys(spec.stateMachineSubstitutions ?? {})]),
      );
      for (const step of spec.steps) expect(FUNCTIONS).toHaveProperty(step);
      expect(text).not.toMatch(/arn:aws:lambda:|arn:aws:dynamodb:|arn:aws:events:/u);
    },
  );

  it.each(Object.entries(STATE_MACHINES).flatMap(([name, spec]) => spec.steps.map((step) => [name, step] as const)))(
    '%s step %s has one name: placeholder, function id, file and use case',
    (name, step) => {
      const folder = name === 'serviceCreation' ? 'service-creation' : name;
      expect(entryOf(step)).toBe(
        `functions/${folder}/${step.replace(/[A-Z]/gu, (letter) => `-${letter.toLowerCase()}`)}.ts`,
      );
      const declaration = FUNCTIONS[step].module.declaration;
      expect(
        'useCase' in declaration && typeof declaration.useCase === 'function' ? declaration.useCase.name : undefined,
      ).toBe(step);
      expect(existsSync(entryOf(step))).toBe(true);
    },
  );
});
