import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AlarmForwardingStack } from './alarm-forwarding-stack.js';
import { CONSOLE_DIST, ConsoleStack } from './console-site.js';
import { BUS_NAME, ControlPlaneStack } from './control-plane-stack.js';
import { settingsFrom } from './settings.js';

/** `cdk synth` works offline: account and regions come from context, never from credentials. */
export function buildApp(app: App = new App()): { app: App; controlPlane: ControlPlaneStack; forwarders: AlarmForwardingStack[]; console: ConsoleStack } {
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
  const consoleStack = new ConsoleStack(app, 'FlightplanConsole', {
    env: { account: settings.account, region: settings.homeRegion },
    description: 'Flightplan web console: S3 behind CloudFront, Keycloak sign-in',
    distDir: CONSOLE_DIST,
    apiUrl: controlPlane.apiUrl,
    keycloakIssuer: settings.jwtIssuer,
    keycloakClientId: settings.consoleClientId,
  });
  // Every synth runs cdk-nag AwsSolutions; a finding fails it unless acknowledged with a reason.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, controlPlane, forwarders, console: consoleStack };
}

if (process.argv[1]?.endsWith('app.ts')) buildApp().app.synth();
