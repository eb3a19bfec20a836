import { deleteTokenEndpoint } from '../shared/tokens/endpoints.js';

export const handler = deleteTokenEndpoint('domain');
