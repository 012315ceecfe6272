import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ControlPlaneStack } from './control-plane-stack.js';
import { settingsFrom } from './settings.js';

/** `cdk synth` works offline: account and regions come from context, never from credentials. */
export function buildApp(app: App = new App()): { app: App; controlPlane: ControlPlaneStack } {
  const settings = settingsFrom(app);
  const controlPlane = new ControlPlaneStack(app, 'Flightplan', {
    env: { account: settings.account, region: settings.homeRegion },
    description: 'Flightplan delivery control plane',
    settings,
  });
  // cdk-nag AwsSolutions still reports findings (issue 7); opt in with -c flightplan:nag=true until it is clean.
  if (app.node.tryGetContext('flightplan:nag') === true || app.node.tryGetContext('flightplan:nag') === 'true') {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  }
  return { app, controlPlane };
}

if (process.argv[1]?.endsWith('app.ts')) buildApp().app.synth();
