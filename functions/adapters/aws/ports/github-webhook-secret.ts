import { secretNamed } from './secrets.js';

export const githubWebhookSecret = () => secretNamed('githubWebhookSecret');
