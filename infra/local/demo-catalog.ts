import type { Person, Service } from '../../functions/domain/catalog.js';
import { LOCAL_DEFAULTS } from '../../functions/config.js';

/** The catalog the local runtime starts with (DESIGN.md, "demo catalog"). */
export const DEMO_SERVICES: Service[] = [
  { name: 'orders-api', repository: 'acme/orders-api', team: 'payments', tier: 'T1', imageRepository: `${LOCAL_DEFAULTS.imageRegistry}/orders-api`, status: 'ACTIVE', revision: 0 },
  { name: 'catalog-web', repository: 'acme/catalog-web', team: 'storefront', tier: 'T2', imageRepository: `${LOCAL_DEFAULTS.imageRegistry}/catalog-web`, status: 'ACTIVE', revision: 0 },
];

const person = (login: string, teams: string[]): Person => ({ login, slackUserId: `U${login.toUpperCase()}`, teams });

export const DEMO_PEOPLE: Person[] = [
  person('alice', ['payments']),
  person('bob', ['payments']),
  person('erin', ['storefront']),
  person('carol', ['platform-team']),
  person('dave', ['platform-team']),
];
