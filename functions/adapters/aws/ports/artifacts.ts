import { ECRClient } from '@aws-sdk/client-ecr';
import { EcrArtifactRegistry } from '../ecr-artifact-registry.js';
import { traced } from './tracer.js';

export const artifacts = () => new EcrArtifactRegistry(traced(new ECRClient({})));
