import { listTokensEndpoint } from '../shared/tokens/endpoints.js';

export const handler = listTokensEndpoint('admin');
