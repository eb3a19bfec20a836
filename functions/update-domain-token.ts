import { updateTokenEndpoint } from '../shared/tokens/endpoints.js';

export const handler = updateTokenEndpoint('domain');
