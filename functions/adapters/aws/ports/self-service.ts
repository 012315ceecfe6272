import { selfServiceSettingsFrom } from '../../../config-self-service.js';

export const selfService = () => selfServiceSettingsFrom(process.env);
