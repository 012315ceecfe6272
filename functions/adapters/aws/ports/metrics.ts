import { PowertoolsMetrics } from '../powertools-metrics.js';

export const metrics = () => new PowertoolsMetrics();
