import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONSOLE_DIST, ConsoleStack } from './console-site.js';
import { BUS_NAME, ControlPlaneStack } from './control-plane-stack.js';
import { settingsFrom } from './settings.js';
import { healthFunctionRoleArns, workloadPlacements } from './workload-accounts.js';
import { WorkloadStack } from './workload-stack.js';

/** `cdk synth` works offline: account and regions come from context, never from credentials. */
export function buildApp(app: App = new App()): {
  app: App;
  controlPlane: ControlPlaneStack;
  forwarders: WorkloadStack[];
  console: ConsoleStack;
} {
  const settings = settingsFrom(app);
  const controlPlane = new ControlPlaneStack(app, 'Flightplan', {
    env: { account: settings.account, region: settings.homeRegion },
    description: 'Flightplan delivery control plane',
    settings,
  });
  const homeBusArn = `arn:aws:events:${settings.homeRegion}:${settings.account}:event-bus/${BUS_NAME}`;
  // Per workload account and region (or per region of the one account): alarms and Argo CD
  // changes to the home bus, and in each account the role the health gates assume to read it.
  const forwarders = workloadPlacements(settings).map(
    (placement) =>
      new WorkloadStack(app, placement.stackId, {
        env: { account: placement.account, region: placement.region },
        description: `Forwards CloudWatch alarm and Argo CD changes in ${placement.region} to Flightplan`,
        homeBusArn,
        ...(placement.createsHealthReader
          ? { healthReader: { trustedRoleArns: healthFunctionRoleArns(settings) } }
          : {}),
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
