import { Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import { ArnPrincipal, CompositePrincipal, Effect, PolicyDocument, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ALARM_STATE_CHANGE_DETAIL_TYPE } from '../../events/alarm-state-changed.js';
import { ARGOCD_STATUS_DETAIL_TYPE, argoCdAppStatusChanged } from '../../events/argocd-app-status-changed.js';
import { HEALTH_READER_ROLE_NAME } from '../../functions/health-settings.js';

/** What a workload account sends the home bus: each source with its one detail-type. */
export const FORWARDED_EVENTS = [
  {
    name: 'AlarmStateChanges',
    source: 'aws.cloudwatch',
    detailType: ALARM_STATE_CHANGE_DETAIL_TYPE,
    description: 'CloudWatch alarm state changes',
  },
  {
    name: 'ArgoCdStatusChanges',
    source: argoCdAppStatusChanged.source,
    detailType: ARGOCD_STATUS_DETAIL_TYPE,
    description: "Argo CD application status changes put on this account's default bus",
  },
] as const;

export interface WorkloadStackProps extends StackProps {
  /** The control plane's bus, by ARN: stacks in other regions and accounts cannot reference it. */
  homeBusArn: string;
  /**
   * Creates the account's FlightplanHealthReader role here, assumable by exactly these roles (the
   * control plane's health functions). IAM is global: one stack per account creates it.
   */
  healthReader?: { trustedRoleArns: string[] };
}

/**
 * One per workload account and region: CloudWatch alarm state changes and Argo CD status changes
 * from this region's default bus go to the control plane's bus, where they fail bakes and resume
 * waves. The events keep their account and region. With `healthReader`, also the read-only role
 * the health gates assume to read this account's alarms and metrics.
 */
export class WorkloadStack extends Stack {
  readonly healthReader?: Role;

  constructor(scope: Construct, id: string, props: WorkloadStackProps) {
    super(scope, id, props);
    const deadLetterQueue = new Queue(this, 'ForwardingDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const homeBus = EventBus.fromEventBusArn(this, 'HomeBus', props.homeBusArn);
    for (const forwarded of FORWARDED_EVENTS) {
      new Rule(this, `Forward${forwarded.name}`, {
        description: `${forwarded.description} to the Flightplan bus in the home region`,
        eventPattern: { source: [forwarded.source], detailType: [forwarded.detailType] },
        targets: [new EventBusTarget(homeBus, { deadLetterQueue })],
      });
    }
    new Alarm(this, 'ForwardingDeadLettersAlarm', {
      alarmDescription:
        'Events could not be forwarded to Flightplan: bakes in this region would miss alarms and Argo CD changes',
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the forwarding rules; it has a depth alarm.',
    });
    if (props.healthReader) this.healthReader = this.healthReaderRole(props.healthReader.trustedRoleArns);
  }

  private healthReaderRole(trustedRoleArns: string[]): Role {
    const role = new Role(this, 'HealthReader', {
      roleName: HEALTH_READER_ROLE_NAME,
      description: 'Flightplan health gates: read alarms and service metrics in this account',
      assumedBy: new CompositePrincipal(...trustedRoleArns.map((arn) => new ArnPrincipal(arn))),
      maxSessionDuration: Duration.hours(1),
      inlinePolicies: {
        ReadHealth: new PolicyDocument({
          statements: [
            new PolicyStatement({
              effect: Effect.ALLOW,
              actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData'],
              resources: ['*'],
            }),
            new PolicyStatement({
              effect: Effect.ALLOW,
              actions: ['aps:QueryMetrics', 'aps:GetSeries', 'aps:GetLabels', 'aps:GetMetricMetadata'],
              resources: [`arn:${this.partition}:aps:*:${this.account}:workspace/*`],
            }),
          ],
        }),
      },
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'CloudWatch DescribeAlarms and GetMetricData have no resource-level permissions; the role only reads.',
    });
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:aps:*:${this.account}:workspace/*]`,
      reason: "Read-only PromQL on whichever Amazon Managed Prometheus workspace holds this account's service metrics.",
    });
    return role;
  }
}
