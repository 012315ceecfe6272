import { repositoryMarkOf, reservedServiceNameProblem } from '../domain/service-creation.js';
import { catalogInfoFile, gitopsFiles } from '../domain/service-repository-files.js';
import { PolicyViolationError } from '../errors.js';
import type { CatalogStore, Clock, CodeHost, GitOpsRepo, SelfServiceSettings } from '../ports/index.js';
import { loadService, recordStep } from './service-creation.js';

/** The code repository from the service's template with its Backstage entity, and the infra repository. Repeatable: what exists is found. */
export async function createServiceRepositories(
  deps: { catalog: CatalogStore; codeHost: CodeHost; clock: Clock; selfService: SelfServiceSettings },
  input: { service: string },
): Promise<{ repository: string; infraRepository: string }> {
  const service = await loadService(deps.catalog, input.service);
  const infraRepository = service.infraRepository ?? `${service.repository}-infra`;
  const description = service.description ?? `${service.name} (${service.team})`;
  const reserved = reservedServiceNameProblem(service.name, deps.selfService);
  if (reserved) throw new PolicyViolationError(reserved);
  const mark = repositoryMarkOf(service);
  const code = await deps.codeHost.createRepository({
    template: `${deps.selfService.organization}/template-${service.template ?? 'node-api'}`,
    repository: service.repository,
    description,
    mark,
  });
  const message = 'Register the service in Backstage (catalog-info.yaml)';
  if (code.created) {
    await deps.codeHost.commitFiles(service.repository, [catalogInfoFile(service)], message);
  } else {
    // An earlier attempt created it and may have failed before this commit. A repository that
    // already existed changes only through a pull request: a push to main may run its workflows.
    await deps.codeHost.openPullRequest({
      repository: service.repository,
      branch: 'flightplan/catalog-info',
      files: [catalogInfoFile(service)],
      title: message,
      body: `Flightplan asks again for ${service.name} (${service.team}); this registers it in Backstage.`,
    });
  }
  const infra = await deps.codeHost.createRepository({
    template: `${deps.selfService.organization}/template-infra`,
    repository: infraRepository,
    description: `Infrastructure of ${service.name}`,
    mark,
  });
  await recordStep(
    deps,
    service.name,
    'service.repositories-created',
    `${code.created ? 'Created' : 'Found'} ${code.url} and ${infra.created ? 'created' : 'found'} ${infra.url}`,
  );
  return { repository: service.repository, infraRepository };
}

/** Argo CD Applications for every environment and region, and the Keycloak client, in one GitOps commit. */
export async function commitServiceGitOps(
  deps: { catalog: CatalogStore; gitops: GitOpsRepo; clock: Clock; selfService: SelfServiceSettings },
  input: { service: string },
): Promise<{ revision: string }> {
  const service = await loadService(deps.catalog, input.service);
  const files = gitopsFiles(service, deps.selfService.gitopsRepositoryUrl);
  const commit = await deps.gitops.commitFiles(files, `Add ${service.name}: Argo CD applications and Keycloak client`);
  await recordStep(
    deps,
    service.name,
    'service.gitops-committed',
    `Committed ${files.map((file) => file.path).join(', ')} at ${commit.revision.slice(0, 7)}`,
  );
  return commit;
}
