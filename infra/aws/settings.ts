import type { App } from 'aws-cdk-lib';
import { freezeWindowsSchema, type FreezeWindow } from '../../functions/domain/freeze-window.js';

/** Everything that differs between installations, from CDK context (`cdk.json` or `-c key=value`). */
export interface FlightplanSettings {
  account: string;
  homeRegion: string;
  workloadRegions: string[];
  jwtIssuer: string;
  jwtAudience: string;
  gitopsRepository: string;
  githubAppId: string;
  githubAppInstallationId: string;
  /** Passed to the functions that need them as FLIGHTPLAN_FREEZE_WINDOWS; validated at synth. */
  freezeWindows: FreezeWindow[];
}

export function settingsFrom(app: App): FlightplanSettings {
  const read = (key: string): unknown => app.node.tryGetContext(`flightplan:${key}`);
  const text = (key: string): string => {
    const value = read(key);
    if (typeof value !== 'string' || value === '') throw new Error(`CDK context flightplan:${key} is required (cdk.json or -c flightplan:${key}=...)`);
    return value;
  };
  const regions = read('workloadRegions');
  return {
    account: text('account'),
    homeRegion: text('homeRegion'),
    workloadRegions: Array.isArray(regions) ? regions.map(String) : [text('homeRegion')],
    jwtIssuer: text('jwtIssuer'),
    jwtAudience: text('jwtAudience'),
    gitopsRepository: text('gitopsRepository'),
    githubAppId: text('githubAppId'),
    githubAppInstallationId: text('githubAppInstallationId'),
    freezeWindows: freezeWindowsSchema.parse(read('freezeWindows') ?? []),
  };
}
