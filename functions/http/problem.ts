import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ZodError } from '../zod.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RollbackTargetNotKnownGoodError,
  PayloadTooLargeError,
  UnauthorizedError,
  ValidationError,
} from '../errors.js';

const PROBLEM_BASE = 'https://flightplan.dev/problems/';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
  /** rollback-not-known-good: the versions a rollback may return to, newest first. */
  knownGoodVersions?: string[];
}

const KNOWN: [new (...args: never[]) => Error, number, string, string][] = [
  [ValidationError, 400, 'validation', 'The request is not valid'],
  [UnauthorizedError, 401, 'unauthorized', 'Authentication failed'],
  [ForbiddenError, 403, 'forbidden', 'Not allowed'],
  [NotFoundError, 404, 'not-found', 'Not found'],
  // Before ConflictError, which it extends: the first match wins.
  [RollbackTargetNotKnownGoodError, 409, 'rollback-not-known-good', 'Not a known-good version'],
  [ConflictError, 409, 'conflict', 'Conflict'],
  [PayloadTooLargeError, 413, 'payload-too-large', 'Payload too large'],
];

/** The one place errors become RFC 9457 problem details, each with a stable `type`. */
export function problemFor(error: unknown): Problem {
  if (error instanceof ZodError) {
    // An unknown field is named on its own, so `"dryRun": true` reads as what it is.
    const unknown = error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key].join('.')) : [],
    );
    return {
      type: `${PROBLEM_BASE}validation`,
      title: 'The request is not valid',
      status: 400,
      detail:
        unknown.length > 0
          ? `Unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`
          : 'The request body or parameters do not match the schema',
      errors: error.issues.flatMap((issue) =>
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => ({ path: [...issue.path, key].join('.'), message: 'unknown field' }))
          : [{ path: issue.path.join('.'), message: issue.message }],
      ),
    };
  }
  for (const [errorClass, status, slug, title] of KNOWN) {
    if (error instanceof errorClass) {
      const problem: Problem = { type: `${PROBLEM_BASE}${slug}`, title, status, detail: error.message };
      if (error instanceof ValidationError && error.problems.length > 0) problem.errors = error.problems;
      if (error instanceof RollbackTargetNotKnownGoodError) problem.knownGoodVersions = error.knownGoodVersions;
      return problem;
    }
  }
  return {
    type: `${PROBLEM_BASE}internal`,
    title: 'Internal error',
    status: 500,
    detail: 'Flightplan could not complete the request; it has been logged',
  };
}

export function problemResponse(problem: Problem): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: problem.status,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify(problem),
  };
}
