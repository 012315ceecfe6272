import { Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ALARM_STATE_CHANGE_DETAIL_TYPE } from '../../events/alarm-state-changed.js';

export interface AlarmForwardingStackProps extends StackProps {
  /** The control plane's bus, by ARN: stacks in other regions cannot reference it. */
  homeBusArn: string;
}

/**
 * One per workload region: CloudWatch alarm state changes from this region's default bus go to
 * the control plane's bus, where they fail bakes and block waves. The events keep their region.
 */
export class AlarmForwardingStack extends Stack {
  constructor(scope: Construct, id: string, props: AlarmForwardingStackProps) {
    super(scope, id, props);
    const deadLetterQueue = new Queue(this, 'ForwardingDeadLetters', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    new Rule(this, 'ForwardAlarmStateChanges', {
      description: 'CloudWatch alarm state changes to the Flightplan bus in the home region',
      eventPattern: { source: ['aws.cloudwatch'], detailType: [ALARM_STATE_CHANGE_DETAIL_TYPE] },
      targets: [new EventBusTarget(EventBus.fromEventBusArn(this, 'HomeBus', props.homeBusArn), { deadLetterQueue })],
    });
    new Alarm(this, 'ForwardingDeadLettersAlarm', {
      alarmDescription: 'Alarm state changes could not be forwarded to Flightplan: bakes in this region would miss them',
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    Validations.of(this).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is the dead-letter queue of the forwarding rule; it has a depth alarm.' });
  }
}
