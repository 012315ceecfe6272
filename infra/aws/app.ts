import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AlarmForwardingStack } from './alarm-forwarding-stack.js';
import { BUS_NAME, ControlPlaneStack } from './control-plane-stack.js';
import { settingsFrom } from './settings.js';

/** `cdk synth` works offline: account and regions come from context, never from credentials. */
export function buildApp(app: App = new App()): { app: App; controlPlane: ControlPlaneStack; forwarders: AlarmForwardingStack[] } {
  const settings = settingsFrom(app);
  const controlPlane = new ControlPlaneStack(app, 'Flightplan', {
    env: { account: settings.account, region: settings.homeRegion },
    description: 'Flightplan delivery control plane',
    settings,
  });
  const homeBusArn = `arn:aws:events:${settings.homeRegion}:${settings.account}:event-bus/${BUS_NAME}`;
  const forwarders = settings.workloadRegions.map(
    (region) =>
      new AlarmForwardingStack(app, `FlightplanAlarms-${region}`, {
        env: { account: settings.account, region },
        description: `Forwards CloudWatch alarm state changes in ${region} to Flightplan`,
        homeBusArn,
      }),
  );
  for (const forwarder of forwarders) forwarder.addStackDependency(controlPlane);
  // Every synth runs cdk-nag AwsSolutions; a finding fails it unless acknowledged with a reason.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, controlPlane, forwarders };
}

if (process.argv[1]?.endsWith('app.ts')) buildApp().app.synth();
