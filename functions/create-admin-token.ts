import { createTokenEndpoint } from '../shared/tokens/endpoints.js';

export const handler = createTokenEndpoint('admin');
