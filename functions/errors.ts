/**
 * Flightplan's error taxonomy. Class names are a contract: the workflows' Retry and Catch
 * fields name them (a test checks every name used in `workflows/` exists here), and the HTTP
 * layer maps them to problem+json types in one place.
 */
export class FlightplanError extends Error {
  /** Whether a workflow may retry the step that threw it. */
  readonly retryable: boolean = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The image for the requested tag is not in the registry yet: CI may still be building it. */
export class ArtifactNotReadyError extends FlightplanError {
  override readonly retryable = true;
}

/** Another write changed the record first; reading again and retrying is safe. */
export class ConcurrentUpdateError extends FlightplanError {
  override readonly retryable = true;
}

/** Another deployment holds the lock (PROD queues): the workflow waits and tries again. */
export class DeploymentLockBusyError extends FlightplanError {
  override readonly retryable = true;
}

/** A newer deployment of the same service and environment took over. Ends the older one, no rollback. */
export class SupersededError extends FlightplanError {}

/** A wave failed its health gate; the message lists every reason. */
export class HealthGateFailedError extends FlightplanError {}

/** An alarm or a degraded Argo CD app during a bake, or a bad health check at its end. */
export class BakeFailedError extends FlightplanError {}

/** The bake saw too little traffic to judge; a human decides, it never passes silently. */
export class BakeInconclusiveError extends FlightplanError {}

/** The target region already has the service in ALARM: never deploy into a burning region. The workflow waits and retries. */
export class RegionInAlarmError extends FlightplanError {
  override readonly retryable = true;
}

/** A freeze window covers the target region; the wave waits unless platform-team overrode it. */
export class FreezeWindowError extends FlightplanError {
  override readonly retryable = true;
}

/** Somebody aborted the deployment; the workflow rolls back and ends ABORTED. */
export class DeploymentAbortedError extends FlightplanError {}

/** Argo CD reported a failed sync or a degraded application. */
export class ArgoSyncFailedError extends FlightplanError {}

/** A status change the state machine of a deployment or wave does not allow. */
export class InvalidTransitionError extends FlightplanError {}

/** A rollback could not restore a previous digest; a human must look. */
export class RollbackFailedError extends FlightplanError {}

export class NotFoundError extends FlightplanError {}

/** A provisioning request breaks the policy (naming, quotas, tier limits); the message lists why. */
export class PolicyViolationError extends FlightplanError {}

/** The Terraform pull request was closed without being merged. */
export class PullRequestClosedError extends FlightplanError {}

/** The Terraform apply after the merge did not succeed. */
export class TerraformApplyFailedError extends FlightplanError {}

/** The task token no longer waits: its task finished, timed out or was stopped. */
export class TaskTokenExpiredError extends FlightplanError {}

export class ValidationError extends FlightplanError {
  constructor(
    message: string,
    readonly problems: { path: string; message: string }[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class UnauthorizedError extends FlightplanError {}

export class ForbiddenError extends FlightplanError {}

export class PayloadTooLargeError extends FlightplanError {}

export class ConflictError extends FlightplanError {}

/**
 * A rollback may only return to a version a SUCCEEDED deployment of the same service and
 * environment recorded; the refusal lists those versions, newest first.
 */
export class RollbackTargetNotKnownGoodError extends ConflictError {
  constructor(
    message: string,
    readonly knownGoodVersions: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RollbackTargetNotKnownGoodError';
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
  RollbackFailedError,
  NotFoundError,
  PolicyViolationError,
  PullRequestClosedError,
  TerraformApplyFailedError,
].map((errorClass) => errorClass.name);
