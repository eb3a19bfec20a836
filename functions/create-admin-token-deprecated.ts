import { deprecatedCreateTokenEndpoint } from '../shared/tokens/endpoints.js';

/** Deprecated: the service account id comes in the body. Answers with Deprecation and Link headers. */
export const handler = deprecatedCreateTokenEndpoint('admin');
