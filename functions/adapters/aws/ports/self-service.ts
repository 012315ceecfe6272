import { selfServiceSettingsFrom } from '../../../config.js';

export const selfService = () => selfServiceSettingsFrom(process.env);
