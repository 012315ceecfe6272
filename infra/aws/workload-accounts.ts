import { Stack } from 'aws-cdk-lib';
import type { EventBus } from 'aws-cdk-lib/aws-events';
import { AccountPrincipal, Effect, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { ENV } from '../../functions/config.js';
import { healthReaderRoleArn, type PrometheusSourceSettings } from '../../functions/health-settings.js';
import { FUNCTIONS, type FunctionId } from '../system.js';
import type { FlightplanSettings } from './settings.js';
import { FORWARDED_EVENTS } from './workload-stack.js';

/** Where one workload stack goes. IAM is global, so only the first stack of an account creates its reader role. */
export interface WorkloadPlacement {
  stackId: string;
  account: string;
  region: string;
  createsHealthReader: boolean;
}

/**
 * One workload stack per (account, region). Without `flightplan:workloadAccounts` everything stays
 * in the control plane's account, one forwarding stack per `flightplan:workloadRegions`, as before.
 */
export function workloadPlacements(settings: FlightplanSettings): WorkloadPlacement[] {
  if (!settings.workloadAccounts) {
    return settings.workloadRegions.map((region) => ({
      stackId: `FlightplanAlarms-${region}`,
      account: settings.account,
      region,
      createsHealthReader: false,
    }));
  }
  const placements: WorkloadPlacement[] = [];
  for (const { account, regions } of Object.values(settings.workloadAccounts)) {
    for (const region of regions) {
      if (placements.some((placement) => placement.account === account && placement.region === region)) continue;
      placements.push({
        stackId: `FlightplanWorkload-${account}-${region}`,
        account,
        region,
        createsHealthReader: !placements.some((placement) => placement.account === account),
      });
    }
  }
  return placements;
}

export const workloadAccountIds = (settings: FlightplanSettings): string[] => [
  ...new Set(Object.values(settings.workloadAccounts ?? {}).map((workload) => workload.account)),
];

/** The functions that judge health: the only ones a workload account's reader role trusts. */
export const HEALTH_FUNCTIONS = (Object.keys(FUNCTIONS) as FunctionId[]).filter((id) =>
  (FUNCTIONS[id].module.declaration.ports as readonly string[]).includes('health'),
);

/** A fixed name, so workload accounts can trust the role by ARN before it is deployed anywhere they can see. */
export const healthFunctionRoleName = (functionId: FunctionId, homeRegion: string): string =>
  `flightplan-${functionId}-${homeRegion}`;

export const healthFunctionRoleArns = (settings: FlightplanSettings): string[] =>
  HEALTH_FUNCTIONS.map(
    (id) => `arn:aws:iam::${settings.account}:role/${healthFunctionRoleName(id, settings.homeRegion)}`,
  );

/**
 * The home bus accepts, from each workload account, exactly the events its workload stacks
 * forward: one statement per account and source, with its detail-type.
 */
export function allowWorkloadAccountsOnBus(bus: EventBus, settings: FlightplanSettings): void {
  for (const account of workloadAccountIds(settings)) {
    if (account === settings.account) continue;
    for (const forwarded of FORWARDED_EVENTS) {
      bus.addToResourcePolicy(
        new PolicyStatement({
          sid: `${forwarded.name}From${account}`,
          effect: Effect.ALLOW,
          principals: [new AccountPrincipal(account)],
          actions: ['events:PutEvents'],
          resources: [bus.eventBusArn],
          conditions: {
            StringEquals: { 'events:source': forwarded.source, 'events:detail-type': forwarded.detailType },
          },
        }),
      );
    }
  }
}

/**
 * What a health function may read, and where. With workload accounts: assume each account's
 * FlightplanHealthReader and nothing else. Without: CloudWatch in its own account. Either way the
 * per-environment health sources, their Prometheus credentials and, for AMP in the control
 * plane's account, PromQL on that workspace.
 */
export function grantHealthReads(fn: LambdaFunction & IGrantable, settings: FlightplanSettings): void {
  if (settings.workloadAccounts) {
    fn.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['sts:AssumeRole'],
        resources: workloadAccountIds(settings).map(healthReaderRoleArn),
      }),
    );
    fn.addEnvironment(ENV.workloadAccounts, JSON.stringify(settings.workloadAccounts));
  } else {
    // DescribeAlarms and GetMetricData do not support resource-level permissions.
    fn.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData'],
        resources: ['*'],
      }),
    );
  }
  fn.addEnvironment(ENV.healthSources, JSON.stringify(settings.healthSources));
  for (const source of Object.values(settings.healthSources)) {
    if (source.type !== 'prometheus') continue;
    if (source.auth.type === 'bearer' || source.auth.type === 'basic') {
      fn.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['secretsmanager:GetSecretValue'],
          resources: [source.auth.secretArn],
        }),
      );
    }
    if (source.auth.type === 'sigv4' && !settings.workloadAccounts) {
      fn.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['aps:QueryMetrics'],
          resources: [ampWorkspaceArn(source, source.auth.region, Stack.of(fn).account)],
        }),
      );
    }
  }
}

/** `https://aps-workspaces.{region}.amazonaws.com/workspaces/{id}` → the workspace's ARN. */
function ampWorkspaceArn(source: PrometheusSourceSettings, region: string, account: string): string {
  const workspace = /\/workspaces\/(ws-[\w-]+)/u.exec(source.url)?.[1];
  if (!workspace)
    throw new Error(
      `A sigv4 health source needs an Amazon Managed Prometheus workspace URL (…/workspaces/ws-…), got ${source.url}`,
    );
  return `arn:aws:aps:${region}:${account}:workspace/${workspace}`;
}
