import type { CallResult, TestService } from './service.js';

/** `POST /api/v1/auth/token`: the RFC 8693 exchange of a subject token for an access token of `account`. */
export function exchange(api: TestService, subjectToken: string, account: string): Promise<CallResult> {
  const form = new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token: subjectToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    service_account_id: account,
  });
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
  return api.call('POST', '/api/v1/auth/token', { headers, rawBody: form.toString() });
}
