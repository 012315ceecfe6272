import type { PortName, PortUse, PortsOf } from '../../declaration.js';
import { composeWith, type PortFactories } from './on-aws.js';
import { approvals } from './ports/approvals.js';
import { argocdToken } from './ports/argocd-token.js';
import { artifacts } from './ports/artifacts.js';
import { bus } from './ports/bus.js';
import { catalog } from './ports/catalog.js';
import { chat } from './ports/chat.js';
import { clock } from './ports/clock.js';
import { codeHost } from './ports/code-host.js';
import { cursorKey } from './ports/cursor-key.js';
import { deployments } from './ports/deployments.js';
import { eventOrigins } from './ports/event-origins.js';
import { freezeWindows } from './ports/freeze-windows.js';
import { githubDeployments } from './ports/github-deployments.js';
import { githubWebhookSecret } from './ports/github-webhook-secret.js';
import { gitops } from './ports/gitops.js';
import { health } from './ports/health.js';
import { idempotency } from './ports/idempotency.js';
import { locks } from './ports/locks.js';
import { metrics } from './ports/metrics.js';
import { provisioning } from './ports/provisioning.js';
import { selfService } from './ports/self-service.js';
import { slackSigningSecret } from './ports/slack-signing-secret.js';
import { waits } from './ports/waits.js';
import { workflows } from './ports/workflows.js';

/**
 * Every port's AWS adapter, one module each (`ports/<port in kebab-case>.ts`), which
 * infra/aws/port-grants.ts gives its variables and grants for exactly the functions that declare
 * the port. For tests that compose AWS adapters by hand: a deployed function does not import this
 * table, its Lambda entry (infra/aws/function-entries.ts) imports the modules of its declared
 * ports only.
 */
export const AWS_PORTS: PortFactories<PortName> = {
  deployments,
  catalog,
  approvals,
  locks,
  waits,
  provisioning,
  idempotency,
  bus,
  workflows,
  artifacts,
  health,
  gitops,
  githubDeployments,
  codeHost,
  chat,
  githubWebhookSecret,
  argocdToken,
  slackSigningSecret,
  cursorKey,
  selfService,
  freezeWindows,
  eventOrigins,
  metrics,
  clock,
};

/** The AWS adapters of exactly the declared ports, as the declaration's `use` narrows them. */
export function composeAws<P extends PortName>(ports: readonly P[], use: PortUse = {}): PortsOf<P> {
  return composeWith(AWS_PORTS, ports, use);
}
