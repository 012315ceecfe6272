import { runSimulation } from '@cloud-copilot/iam-simulate';
import { resourcesOfType, type StackResolver } from './assembly.js';

export interface PolicyDocument {
  Version?: string;
  Statement: { Effect: string; Action?: string | string[]; Resource?: string | string[]; Condition?: unknown }[];
}

export interface AuthorizationRequest {
  /** The role the caller runs as (a function's execution role, a state machine's role). */
  roleArn: string;
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}

export interface AuthorizationDecision {
  allowed: boolean;
  /** Why: the statement that allowed it, or what is missing. */
  explanation: string;
}

/**
 * Actions that IAM's authorization reference lists without resource types (so a simulator
 * wants `*`), which Step Functions nevertheless authorizes against the state machine the task
 * token belongs to. CDK grants them on the state machine ARN and that works on AWS.
 */
const TASK_TOKEN_ACTIONS = new Set(['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat']);

/**
 * IAM for the twin: every role's identity policies from the templates (`AWS::IAM::Policy`
 * attached through `Roles`, and inline `Policies` of `AWS::IAM::Role`), evaluated with
 * @cloud-copilot/iam-simulate, which carries AWS's action, resource and condition-key data.
 */
export class IamPolicies {
  private readonly policies = new Map<string, { name: string; policy: PolicyDocument }[]>();
  private readonly cache = new Map<string, Promise<AuthorizationDecision>>();

  constructor(resolvers: StackResolver[]) {
    for (const resolver of resolvers) {
      const { stack } = resolver;
      for (const [logicalId, resource] of resourcesOfType(stack, 'AWS::IAM::Policy')) {
        const properties = resource.Properties ?? {};
        const document = resolver.resolve(
          properties['PolicyDocument'],
          `${logicalId}.PolicyDocument`,
        ) as PolicyDocument;
        for (const role of (properties['Roles'] ?? []) as unknown[]) {
          const roleArn = resolver.arn((role as { Ref: string }).Ref);
          this.attach(roleArn, `${stack.name}/${logicalId}`, document);
        }
      }
      for (const [logicalId, resource] of resourcesOfType(stack, 'AWS::IAM::Role')) {
        const roleArn = resolver.arn(logicalId);
        if (!this.policies.has(roleArn)) this.policies.set(roleArn, []);
        const inline = (resource.Properties?.['Policies'] ?? []) as { PolicyName: string; PolicyDocument: unknown }[];
        for (const policy of inline)
          this.attach(
            roleArn,
            `${stack.name}/${logicalId}/${policy.PolicyName}`,
            resolver.resolve(policy.PolicyDocument, `${logicalId}.Policies`) as PolicyDocument,
          );
      }
    }
  }

  /** The operator's role: full access, as an administrator using the console or the CLI has. */
  attachOperator(roleArn: string): void {
    this.attach(roleArn, 'twin/OperatorAccess', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    });
  }

  policiesOf(roleArn: string): { name: string; policy: PolicyDocument }[] {
    return this.policies.get(roleArn) ?? [];
  }

  private attach(roleArn: string, name: string, policy: PolicyDocument): void {
    const attached = this.policies.get(roleArn) ?? [];
    attached.push({ name, policy });
    this.policies.set(roleArn, attached);
  }

  authorize(request: AuthorizationRequest): Promise<AuthorizationDecision> {
    const key = JSON.stringify([request.roleArn, request.action, request.resource, request.context ?? {}]);
    let decision = this.cache.get(key);
    if (!decision) {
      decision = this.evaluate(request);
      this.cache.set(key, decision);
    }
    return decision;
  }

  private async evaluate(request: AuthorizationRequest): Promise<AuthorizationDecision> {
    const identityPolicies = this.policiesOf(request.roleArn);
    if (TASK_TOKEN_ACTIONS.has(request.action)) return this.matchStatements(request, identityPolicies);
    const account = /^arn:aws:iam::(\d{12}):/u.exec(request.roleArn)?.[1] ?? '000000000000';
    const simulate = (resource: string) =>
      runSimulation(
        {
          request: {
            principal: request.roleArn,
            action: request.action,
            resource: { resource, accountId: account },
            contextVariables: request.context ?? {},
          },
          identityPolicies,
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
    let result = await simulate(request.resource);
    // An action without resource-level permissions is authorized against "*".
    if (result.resultType === 'error' && JSON.stringify(result.errors).includes('must.use.wildcard'))
      result = await simulate('*');
    if (result.resultType === 'error')
      return {
        allowed: false,
        explanation: `the simulator could not evaluate ${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`,
      };
    const overall = 'overallResult' in result ? result.overallResult : undefined;
    if (overall === 'Allowed') return { allowed: true, explanation: 'allowed by an identity policy' };
    return {
      allowed: false,
      explanation: `${overall === 'ExplicitlyDenied' ? 'explicitly denied' : 'no statement allows'} ${request.action} on ${request.resource}`,
    };
  }

  /** Action and resource wildcards only: enough for the task-token actions, which the template grants without conditions. */
  private matchStatements(
    request: AuthorizationRequest,
    policies: { name: string; policy: PolicyDocument }[],
  ): AuthorizationDecision {
    const matches = (patterns: string | string[] | undefined, value: string) =>
      [patterns ?? []].flat().some((pattern) =>
        new RegExp(
          `^${pattern
            .split('*')
            .map((part) => part.replace(/[.+?^${}()|[\]\\]/gu, '\\$&'))
            .join('.*')}$`,
          'iu',
        ).test(value),
      );
    let allowed = false;
    for (const { policy } of policies) {
      for (const statement of policy.Statement) {
        if (!matches(statement.Action, request.action) || !matches(statement.Resource, request.resource)) continue;
        if (statement.Effect === 'Deny')
          return { allowed: false, explanation: `explicitly denied ${request.action} on ${request.resource}` };
        allowed = true;
      }
    }
    return allowed
      ? { allowed: true, explanation: 'allowed by an identity policy' }
      : { allowed: false, explanation: `no statement allows ${request.action} on ${request.resource}` };
  }
}
