import { secretNamed } from './secrets.js';

export const cursorKey = () => secretNamed('cursorKey');
