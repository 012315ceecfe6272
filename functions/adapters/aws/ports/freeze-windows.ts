import { freezeWindowsFrom } from '../../../config-freeze-windows.js';

export const freezeWindows = () => freezeWindowsFrom(process.env);
