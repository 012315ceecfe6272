import { useState } from 'react';
import { ApiError, type Approval, type Deployment, type Portal, type Wave } from './api';
import { duration, isTerminal, short, waveDigests, when } from './format';
import { useHashRoute, useNow, usePoll } from './hooks';
import { StateMachine } from './StateMachine';

export interface Session {
  login: string;
  portal: Portal;
  /** The local runtime's time scale: a 30-minute bake lasts 3 s at 600. */
  timeScale: number;
  users?: { login: string; teams: string[] }[];
  switchUser?: (login: string) => void;
}

const POLL_MS = 1000;

function Status({ value }: { value: string }) {
  return <span className={`pill ${value}`}>{value}</span>;
}

function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const text =
    error instanceof ApiError
      ? `${error.problem.title ?? 'Refused'}: ${error.problem.detail ?? ''}`
      : (error as Error).message;
  return (
    <p className="error" role="alert">
      {text}
    </p>
  );
}

export function App({ session }: { session: Session }) {
  const route = useHashRoute();
  const pending = usePoll(() => session.portal.pendingApprovals(), POLL_MS * 2, [session.login]);
  const [, page, id] = route.split('/');
  return (
    <div className="app">
      <header>
        <a href="#/deployments" className="brand">
          ✈ Flightplan
        </a>
        <nav>
          <a href="#/deployments" className={page === 'deployments' ? 'active' : ''}>
            Deployments
          </a>
          <a href="#/approvals" className={page === 'approvals' ? 'active' : ''}>
            Waiting on me{' '}
            {pending.data && pending.data.items.length > 0 ? (
              <span className="count" data-testid="pending-count">
                {pending.data.items.length}
              </span>
            ) : null}
          </a>
          <a href="#/live" className={page === 'live' ? 'active' : ''}>
            Live
          </a>
          <a href="#/requests" className={page === 'requests' ? 'active' : ''}>
            Requests
          </a>
          <a href="#/catalog" className={page === 'catalog' ? 'active' : ''}>
            Catalog
          </a>
        </nav>
        <div className="user">
          {session.users && session.switchUser ? (
            <label>
              signed in as{' '}
              <select
                aria-label="demo user"
                value={session.login}
                onChange={(event) => session.switchUser?.(event.target.value)}
              >
                {session.users.map((user) => (
                  <option key={user.login} value={user.login}>
                    {user.login} ({user.teams.join(', ')})
                  </option>
                ))}
              </select>
            </label>
          ) : (
            <span>{session.login}</span>
          )}
        </div>
      </header>
      <main>
        {page === 'deployments' && id ? <DeploymentPage session={session} id={decodeURIComponent(id)} /> : null}
        {page === 'deployments' && !id ? <DeploymentsPage session={session} /> : null}
        {page === 'approvals' ? (
          <ApprovalsPage session={session} approvals={pending.data?.items} refresh={pending.refresh} />
        ) : null}
        {page === 'live' ? <LivePage session={session} /> : null}
        {page === 'requests' ? <RequestsPage session={session} /> : null}
        {page === 'catalog' ? <CatalogPage session={session} /> : null}
      </main>
    </div>
  );
}

function DeploymentsPage({ session }: { session: Session }) {
  const [filter, setFilter] = useState({ service: '', environment: '', status: '' });
  const services = usePoll(() => session.portal.services(), 10_000, [session.login]);
  const deployments = usePoll(() => session.portal.deployments(filter), POLL_MS, [
    session.login,
    filter.service,
    filter.environment,
    filter.status,
  ]);
  const select = (name: keyof typeof filter, options: string[]) => (
    <select
      aria-label={name}
      value={filter[name]}
      onChange={(event) => {
        setFilter({ ...filter, [name]: event.target.value });
      }}
    >
      <option value="">
        all {name === 'environment' ? 'environments' : name === 'status' ? 'statuses' : 'services'}
      </option>
      {options.map((option) => (
        <option key={option}>{option}</option>
      ))}
    </select>
  );
  return (
    <section>
      <h2>Deployments</h2>
      <div className="filters">
        {select('service', services.data?.items.map((service) => service.name) ?? [])}
        {select('environment', ['hml', 'prod'])}
        {select('status', [
          'QUEUED',
          'AWAITING_APPROVAL',
          'IN_PROGRESS',
          'SUCCEEDED',
          'FAILED',
          'ROLLED_BACK',
          'SUPERSEDED',
          'REJECTED',
          'ABORTED',
        ])}
      </div>
      <ErrorNote error={deployments.error} />
      <table>
        <thead>
          <tr>
            <th>Service</th>
            <th>Env</th>
            <th>Version</th>
            <th>Status</th>
            <th>Waves</th>
            <th>Requested by</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {deployments.data?.items.map((deployment) => (
            <tr key={deployment.id}>
              <td>
                <a href={`#/deployments/${encodeURIComponent(deployment.id)}`}>{deployment.service}</a>
              </td>
              <td>{deployment.environment}</td>
              <td>
                <a href={`#/deployments/${encodeURIComponent(deployment.id)}`}>{deployment.version}</a>
              </td>
              <td>
                <Status value={deployment.status} />
              </td>
              <td className="waves-mini">
                {deployment.waves.map((wave) => (
                  <span key={wave.region} className={`dot ${wave.status}`} title={`${wave.region}: ${wave.status}`}>
                    {wave.region}
                  </span>
                ))}
              </td>
              <td>{deployment.requestedBy}</td>
              <td>{when(deployment.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {deployments.data?.items.length === 0 ? <p className="muted">No deployments match.</p> : null}
    </section>
  );
}

function bakeStart(deployment: Deployment, region: string): string | undefined {
  return [...(deployment.events ?? [])]
    .reverse()
    .find((event) => event.region === region && event.toStatus === 'BAKING')?.at;
}

function WaveCard({
  wave,
  deployment,
  now,
  timeScale,
}: {
  wave: Wave;
  deployment: Deployment;
  now: number;
  timeScale: number;
}) {
  const started = bakeStart(deployment, wave.region);
  const elapsed = started ? ((now - Date.parse(started)) / 1000) * timeScale : 0;
  const remaining = wave.status === 'BAKING' ? Math.max(0, wave.bakeSeconds - elapsed) : undefined;
  const gate = deployment.events?.find((event) => event.region === wave.region && /gate/u.test(event.action));
  return (
    <li className={`wave ${wave.status}`} data-testid={`wave-${wave.region}`}>
      <div className="wave-head">
        <strong>{wave.region}</strong> <Status value={wave.status} />
      </div>
      <div className="wave-body">
        <div>{waveDigests(wave) || 'not started'}</div>
        <div className="muted">gate: {gate ? gate.message : wave.status === 'PENDING' ? 'after deploy' : '…'}</div>
        <div className="muted">
          bake:{' '}
          {wave.bakeSeconds === 0
            ? 'none'
            : remaining !== undefined
              ? `${duration(remaining)} left of ${duration(wave.bakeSeconds)}`
              : duration(wave.bakeSeconds)}
        </div>
        {remaining !== undefined ? <progress max={wave.bakeSeconds} value={wave.bakeSeconds - remaining} /> : null}
        {wave.reason && wave.status !== 'SUCCEEDED' ? <div className="reason">{wave.reason}</div> : null}
      </div>
    </li>
  );
}

function ApprovalCard({ approval, session, onVoted }: { approval: Approval; session: Session; onVoted: () => void }) {
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const vote = async (decision: 'APPROVE' | 'REJECT') => {
    setBusy(true);
    try {
      await session.portal.vote(approval.id, decision, comment || undefined);
      setError(undefined);
      onVoted();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="approval" data-testid={`approval-${approval.id}`}>
      <div>
        <strong>{approval.subject.summary}</strong> <Status value={approval.status} />
      </div>
      <div className="muted">
        {approval.policy}: team {approval.team}, asked by {approval.requestedBy}, expires {when(approval.expiresAt)}
      </div>
      {approval.noEligibleApprover ? (
        <div className="reason">Nobody can approve this: {approval.noEligibleApprover}</div>
      ) : null}
      <ul className="votes">
        {approval.votes.map((vote) => (
          <li key={vote.voter}>
            {vote.decision === 'APPROVE' ? '✔' : '✘'} {vote.voter}
            {vote.comment ? `: ${vote.comment}` : ''}
          </li>
        ))}
      </ul>
      {approval.status === 'PENDING' ? (
        <div className="actions">
          <input
            aria-label="comment"
            placeholder="comment (optional)"
            value={comment}
            onChange={(event) => {
              setComment(event.target.value);
            }}
          />
          <button
            type="button"
            className="approve"
            disabled={busy}
            onClick={() => {
              void vote('APPROVE');
            }}
          >
            Approve
          </button>
          <button
            type="button"
            className="reject"
            disabled={busy}
            onClick={() => {
              void vote('REJECT');
            }}
          >
            Reject
          </button>
        </div>
      ) : null}
      <ErrorNote error={error} />
    </div>
  );
}

function DeploymentPage({ session, id }: { session: Session; id: string }) {
  const now = useNow(500);
  const deployment = usePoll(() => session.portal.deployment(id), POLL_MS, [session.login, id]);
  const execution = usePoll(() => session.portal.execution(id).catch(() => undefined), POLL_MS, [session.login, id]);
  const [actionError, setActionError] = useState<unknown>();
  const current = deployment.data;
  if (!current)
    return (
      <section>
        <ErrorNote error={deployment.error} />
        <p>Loading {id}…</p>
      </section>
    );
  const blocked = current.waves.some((wave) => wave.status === 'BLOCKED');
  const act = async (action: () => Promise<unknown>) => {
    try {
      await action();
      setActionError(undefined);
      deployment.refresh();
    } catch (failure) {
      setActionError(failure);
    }
  };
  return (
    <section>
      <h2>
        {current.service} {current.version} → {current.environment}{' '}
        <span data-testid="deployment-status">
          <Status value={current.status} />
        </span>
      </h2>
      <p className="muted">
        {current.id} · requested by {current.requestedBy} {when(current.createdAt)}
        {current.mode === 'rollback' ? ' · rollback' : ''} · digest {short(current.digest)}
        {current.waitingBehind ? (
          <>
            {' '}
            · queued behind{' '}
            <a href={`#/deployments/${encodeURIComponent(current.waitingBehind)}`}>{current.waitingBehind}</a>
          </>
        ) : null}
      </p>
      {current.reason ? <p className="reason">{current.reason}</p> : null}
      {!isTerminal(current.status) ? (
        <div className="actions">
          <button
            type="button"
            className="reject"
            onClick={() => {
              if (window.confirm('Abort and roll back?')) void act(() => session.portal.abort(id));
            }}
          >
            Abort
          </button>
          {blocked ? (
            <button
              type="button"
              onClick={() => {
                const reason = window.prompt('Why release the blocked wave? (platform-team)');
                if (reason) void act(() => session.portal.override(id, reason));
              }}
            >
              Override block
            </button>
          ) : null}
        </div>
      ) : null}
      <ErrorNote error={actionError} />
      <h3>Waves</h3>
      <ol className="timeline">
        {current.waves.map((wave) => (
          <WaveCard key={wave.region} wave={wave} deployment={current} now={now} timeScale={session.timeScale} />
        ))}
      </ol>
      {(current.approvals ?? []).length > 0 ? <h3>Approvals</h3> : null}
      {(current.approvals ?? []).map((approval) => (
        <ApprovalCard key={approval.id} approval={approval} session={session} onVoted={deployment.refresh} />
      ))}
      <h3>Workflow</h3>
      <StateMachine execution={execution.data} />
      <h3>Audit trail</h3>
      <table className="audit">
        <tbody>
          {[...(current.events ?? [])].reverse().map((event, index) => (
            <tr key={`${event.at}-${String(index)}`}>
              <td>{when(event.at)}</td>
              <td>{event.actor}</td>
              <td>{event.region ?? ''}</td>
              <td>{event.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function ApprovalsPage({
  session,
  approvals,
  refresh,
}: {
  session: Session;
  approvals: Approval[] | undefined;
  refresh: () => void;
}) {
  return (
    <section>
      <h2>Waiting on {session.login}</h2>
      {approvals?.length === 0 ? <p className="muted">Nothing waits on you.</p> : null}
      {approvals?.map((approval) => (
        <div key={approval.id}>
          <ApprovalCard approval={approval} session={session} onVoted={refresh} />
          {approval.subject.kind === 'deployment' ? (
            <a href={`#/deployments/${encodeURIComponent(approval.subject.id)}`}>open the deployment</a>
          ) : null}
        </div>
      ))}
    </section>
  );
}

function LivePage({ session }: { session: Session }) {
  const live = usePoll(
    async () => {
      const services = (await session.portal.services()).items.filter((service) => service.status === 'ACTIVE');
      return Promise.all(services.map((service) => session.portal.live(service.name)));
    },
    POLL_MS * 2,
    [session.login],
  );
  return (
    <section>
      <h2>What is live where</h2>
      <ErrorNote error={live.error} />
      <table>
        <thead>
          <tr>
            <th>Service</th>
            <th>Env</th>
            <th>Region</th>
            <th>Live version</th>
            <th>Digest</th>
            <th>Since</th>
            <th>On its way</th>
          </tr>
        </thead>
        <tbody>
          {live.data?.flatMap((service) =>
            service.regions.map((region) => (
              <tr key={`${service.service}-${region.environment}-${region.region}`}>
                <td>{service.service}</td>
                <td>{region.environment}</td>
                <td>{region.region}</td>
                <td>{region.version ?? '—'}</td>
                <td>
                  <code>{short(region.digest)}</code>
                </td>
                <td>{when(region.since)}</td>
                <td>
                  {region.inFlight ? (
                    <a href={`#/deployments/${encodeURIComponent(region.inFlight.deploymentId)}`}>
                      {region.inFlight.version} <Status value={region.inFlight.waveStatus} />
                    </a>
                  ) : (
                    ''
                  )}
                </td>
              </tr>
            )),
          )}
        </tbody>
      </table>
    </section>
  );
}

function RequestsPage({ session }: { session: Session }) {
  const requests = usePoll(() => session.portal.requests(), POLL_MS * 2, [session.login]);
  return (
    <section>
      <h2>Provisioning requests</h2>
      <ErrorNote error={requests.error} />
      <table>
        <thead>
          <tr>
            <th>Service</th>
            <th>Env</th>
            <th>Region</th>
            <th>Type</th>
            <th>Name</th>
            <th>Status</th>
            <th>Pull request</th>
            <th>Asked by</th>
          </tr>
        </thead>
        <tbody>
          {requests.data?.items.map((request) => (
            <tr key={request.id}>
              <td>{request.service}</td>
              <td>{request.environment}</td>
              <td>{request.region}</td>
              <td>{request.type}</td>
              <td>{request.name}</td>
              <td>
                <Status value={request.status} />
              </td>
              <td>
                {request.pullRequest ? (
                  <a href={request.pullRequest.url}>
                    #{request.pullRequest.number} ({request.pullRequest.state})
                  </a>
                ) : (
                  '—'
                )}
              </td>
              <td>{request.requestedBy}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {requests.data?.items.length === 0 ? <p className="muted">No requests yet.</p> : null}
    </section>
  );
}

function CatalogPage({ session }: { session: Session }) {
  const services = usePoll(() => session.portal.services(), POLL_MS * 5, [session.login]);
  return (
    <section>
      <h2>Service catalog</h2>
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Team</th>
            <th>Tier</th>
            <th>Status</th>
            <th>Repository</th>
          </tr>
        </thead>
        <tbody>
          {services.data?.items.map((service) => (
            <tr key={service.name}>
              <td>{service.name}</td>
              <td>{service.team}</td>
              <td>{service.tier}</td>
              <td>
                <Status value={service.status} />
              </td>
              <td>{service.repository}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
