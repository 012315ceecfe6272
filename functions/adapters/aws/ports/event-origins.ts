import { ENV, requireEnv } from '../../../config.js';
import type { EventOrigins } from '../../../domain/event-origin.js';
import { workloadAccountsFrom } from '../../../health-settings.js';

export const eventOrigins = (): EventOrigins => ({
  controlPlaneAccount: requireEnv(ENV.controlPlaneAccount),
  workloadAccounts: workloadAccountsFrom(process.env),
});
