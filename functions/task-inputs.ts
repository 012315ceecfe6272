import { z } from 'zod';

/** Inputs the deployment workflow passes its tasks; the ASL Parameters build exactly these. */
export const deploymentTaskInput = z.object({ deploymentId: z.string().min(1) });
export const waveTaskInput = deploymentTaskInput.extend({ region: z.string().min(1) });
export const waitTaskInput = waveTaskInput.extend({ taskToken: z.string().min(1) });
export const rollbackTaskInput = deploymentTaskInput.extend({
  failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).default({}),
});
