/**
 * Flightplan's error taxonomy. Class names are a contract: the workflows' Retry and Catch
 * fields name them (a test checks every name used in `workflows/` exists here), and the HTTP
 * layer maps them to problem+json types in one place.
 */
export class FlightplanError extends Error {
  /**
   * A literal in every class, never `new.target.name` or `constructor.name`: the shipped bundles
   * are minified, and Step Functions matches Retry and Catch on this string.
   */
  override name = 'FlightplanError';
}

/** The image for the requested tag is not in the registry yet: CI may still be building it. */
export class ArtifactNotReadyError extends FlightplanError {
  override name = 'ArtifactNotReadyError';
}

/** Another write changed the record first; reading again and retrying is safe. */
export class ConcurrentUpdateError extends FlightplanError {
  override name = 'ConcurrentUpdateError';
}

/** Another deployment holds the lock (PROD queues): the workflow waits and tries again. */
export class DeploymentLockBusyError extends FlightplanError {
  override name = 'DeploymentLockBusyError';
}

/** A newer deployment of the same service and environment took over. Ends the older one, no rollback. */
export class SupersededError extends FlightplanError {
  override name = 'SupersededError';
}

/** A wave failed its health gate; the message lists every reason. */
export class HealthGateFailedError extends FlightplanError {
  override name = 'HealthGateFailedError';
}

/** An alarm or a degraded Argo CD app during a bake, or a bad health check at its end. */
export class BakeFailedError extends FlightplanError {
  override name = 'BakeFailedError';
}

/** The bake saw too little traffic to judge; a human decides, it never passes silently. */
export class BakeInconclusiveError extends FlightplanError {
  override name = 'BakeInconclusiveError';
}

/** The target region already has the service in ALARM: never deploy into a burning region. The workflow waits and retries. */
export class RegionInAlarmError extends FlightplanError {
  override name = 'RegionInAlarmError';
}

/** A freeze window covers the target region; the wave waits unless platform-team overrode it. */
export class FreezeWindowError extends FlightplanError {
  override name = 'FreezeWindowError';
}

/** Somebody aborted the deployment; the workflow rolls back and ends ABORTED. */
export class DeploymentAbortedError extends FlightplanError {
  override name = 'DeploymentAbortedError';
}

/** Argo CD reported a failed sync or a degraded application. */
export class ArgoSyncFailedError extends FlightplanError {
  override name = 'ArgoSyncFailedError';
}

/** A status change the state machine of a deployment or wave does not allow. */
export class InvalidTransitionError extends FlightplanError {
  override name = 'InvalidTransitionError';
}

export class NotFoundError extends FlightplanError {
  override name = 'NotFoundError';
}

/** A provisioning request breaks the policy (naming, quotas, tier limits); the message lists why. */
export class PolicyViolationError extends FlightplanError {
  override name = 'PolicyViolationError';
}

/** The Terraform pull request was closed without being merged. */
export class PullRequestClosedError extends FlightplanError {
  override name = 'PullRequestClosedError';
}

/** The Terraform apply after the merge did not succeed. */
export class TerraformApplyFailedError extends FlightplanError {
  override name = 'TerraformApplyFailedError';
}

/** The task token no longer waits: its task finished, timed out or was stopped. */
export class TaskTokenExpiredError extends FlightplanError {
  override name = 'TaskTokenExpiredError';
}

export class ValidationError extends FlightplanError {
  override name = 'ValidationError';

  constructor(
    message: string,
    readonly problems: { path: string; message: string }[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class UnauthorizedError extends FlightplanError {
  override name = 'UnauthorizedError';
}

export class ForbiddenError extends FlightplanError {
  override name = 'ForbiddenError';
}

export class PayloadTooLargeError extends FlightplanError {
  override name = 'PayloadTooLargeError';
}

export class ConflictError extends FlightplanError {
  override name = 'ConflictError';
}

/**
 * The name an error class is thrown under, as Step Functions sees it. Never `SomeError.name`: that
 * is the class's own name, which minification renames.
 */
export const nameOf = (errorClass: new (message: string) => Error): string => new errorClass('').name;

/**
 * A rollback may only return to a version a SUCCEEDED deployment of the same service and
 * environment recorded; the refusal lists those versions, newest first.
 */
export class RollbackTargetNotKnownGoodError extends ConflictError {
  override name = 'RollbackTargetNotKnownGoodError';

  constructor(
    message: string,
    readonly knownGoodVersions: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Names Step Functions may see in a task's error, by class, for the ASL contract test. */
export const WORKFLOW_ERROR_NAMES = [
  ArtifactNotReadyError,
  ConcurrentUpdateError,
  DeploymentLockBusyError,
  SupersededError,
  HealthGateFailedError,
  BakeFailedError,
  BakeInconclusiveError,
  RegionInAlarmError,
  FreezeWindowError,
  DeploymentAbortedError,
  ArgoSyncFailedError,
  InvalidTransitionError,
  NotFoundError,
  PolicyViolationError,
  PullRequestClosedError,
  TerraformApplyFailedError,
].map(nameOf);
