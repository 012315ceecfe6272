import { secretNamed } from './secrets.js';

export const slackSigningSecret = () => secretNamed('slackSigningSecret');
