import { freezeWindowsFrom } from '../../../config.js';

export const freezeWindows = () => freezeWindowsFrom(process.env);
