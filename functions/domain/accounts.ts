import * as z from '../zod.js';

/**
 * The AWS account of each environment: the first segment of every Terraform path. Apart from the
 * provisioning domain because every function reads it through its configuration, and importing
 * it from there built every provisioning schema at each cold start.
 */
export const accountsSchema = z.object({
  hml: z.string().check(z.regex(/^\d{12}$/u)),
  prod: z.string().check(z.regex(/^\d{12}$/u)),
});
export type Accounts = z.infer<typeof accountsSchema>;
