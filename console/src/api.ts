/** The console's view of the portal API: the same /v1 routes the CLI uses, with the signed-in user's token. */

export interface Problem {
  title?: string;
  detail?: string;
  errors?: { path: string; message: string }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${problem.title ?? `HTTP ${status}`}: ${problem.detail ?? ''}`);
    this.name = 'ApiError';
  }
}

export interface Wave {
  region: string;
  status: string;
  bakeSeconds: number;
  digestBefore: string | null;
  digestAfter: string | null;
  startedAt: string | null;
  endedAt: string | null;
  reason: string | null;
}

export interface Vote {
  voter: string;
  decision: 'APPROVE' | 'REJECT';
  comment?: string;
  at: string;
}

export interface Approval {
  id: string;
  status: string;
  policy: string;
  team: string;
  requestedBy: string;
  subject: { kind: string; id: string; summary: string };
  votes: Vote[];
  expiresAt: string;
  noEligibleApprover?: string | null;
}

export interface AuditEvent {
  at: string;
  actor: string;
  action: string;
  message: string;
  region?: string;
  toStatus?: string;
}

export interface Deployment {
  id: string;
  service: string;
  team: string;
  tier: string;
  environment: string;
  version: string;
  digest: string | null;
  status: string;
  reason: string | null;
  requestedBy: string;
  mode: string;
  waves: Wave[];
  createdAt: string;
  endedAt: string | null;
  waitingBehind?: string | null;
  approvals?: Approval[];
  events?: AuditEvent[];
}

/** GET /v1/deployments/{id}/execution: DescribeExecution and GetExecutionHistory, as Step Functions answers them. */
export interface Execution {
  executionArn: string;
  name: string;
  status: string;
  startDate: string;
  stopDate?: string;
  events: { id: number; timestamp: string; type: string; stateEnteredEventDetails?: { name: string } }[];
}

export interface ExecutionStep {
  state: string;
  enteredAt: string;
}

/** The states an execution entered, oldest first: its history's …StateEntered events. */
export const stepsOf = (execution: Execution): ExecutionStep[] =>
  execution.events.flatMap((event) =>
    event.type.endsWith('StateEntered') && event.stateEnteredEventDetails
      ? [{ state: event.stateEnteredEventDetails.name, enteredAt: event.timestamp }]
      : [],
  );

export interface LiveRegion {
  environment: string;
  region: string;
  version: string | null;
  digest: string | null;
  since: string | null;
  inFlight: { deploymentId: string; version: string; status: string; waveStatus: string } | null;
}

export interface Service {
  name: string;
  team: string;
  tier: string;
  status: string;
  repository: string;
  description?: string;
}

export interface ProvisioningRequest {
  id: string;
  service: string;
  environment: string;
  region: string;
  type: string;
  name: string;
  status: string;
  requestedBy: string;
  pullRequest?: { number: number; url: string; state: string } | null;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type TokenSource = () => Promise<string>;

export function portal(apiUrl: string, token: TokenSource) {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await token()}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!response.ok) throw new ApiError(response.status, parsed ?? {});
    return parsed as T;
  };
  return {
    deployments: (filter: { service?: string; environment?: string; status?: string }) => {
      const query = new URLSearchParams(
        Object.entries({ ...filter, limit: '50' }).filter((entry): entry is [string, string] => Boolean(entry[1])),
      );
      return call<Page<Deployment>>('GET', `/v1/deployments?${query.toString()}`);
    },
    deployment: (id: string) => call<Deployment>('GET', `/v1/deployments/${encodeURIComponent(id)}`),
    execution: (id: string) => call<Execution>('GET', `/v1/deployments/${encodeURIComponent(id)}/execution`),
    abort: (id: string) => call<unknown>('POST', `/v1/deployments/${encodeURIComponent(id)}/abort`),
    override: (id: string, reason: string) =>
      call<unknown>('POST', `/v1/deployments/${encodeURIComponent(id)}/override`, { reason }),
    pendingApprovals: () => call<Page<Approval>>('GET', '/v1/approvals?status=PENDING&limit=100'),
    vote: (id: string, decision: 'APPROVE' | 'REJECT', comment?: string) =>
      call<Approval>('POST', `/v1/approvals/${encodeURIComponent(id)}/votes`, {
        decision,
        ...(comment ? { comment } : {}),
      }),
    services: () => call<Page<Service>>('GET', '/v1/services?limit=100'),
    live: (service: string) =>
      call<{ service: string; regions: LiveRegion[] }>('GET', `/v1/services/${encodeURIComponent(service)}/live`),
    requests: () => call<Page<ProvisioningRequest>>('GET', '/v1/provisioning-requests?limit=100'),
  };
}

export type Portal = ReturnType<typeof portal>;
