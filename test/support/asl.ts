export type State = Record<string, unknown>;

/** Every state of a definition, Map iterators and Parallel branches included. */
export function allStates(container: { States: Record<string, State> }): [string, State][] {
  return Object.entries(container.States).flatMap(([name, state]) => {
    const nested = (state['ItemProcessor'] ?? state['Iterator']) as { States: Record<string, State> } | undefined;
    const branches = (state['Branches'] ?? []) as { States: Record<string, State> }[];
    return [[name, state] as [string, State], ...(nested ? allStates(nested) : []), ...branches.flatMap(allStates)];
  });
}

/** The error names a state's Retry and Catch match on. */
export function matchedErrors(state: State): string[] {
  const rules = [
    ...((state['Retry'] ?? []) as { ErrorEquals: string[] }[]),
    ...((state['Catch'] ?? []) as { ErrorEquals: string[] }[]),
  ];
  return rules.flatMap((rule) => rule.ErrorEquals);
}
