import { awsHealthSource } from '../aws-health-sources.js';

export const health = () => awsHealthSource();
