import { secretNamed } from './secrets.js';

export const argocdToken = () => secretNamed('argocdToken');
