/** Request bodies of an exact size, for the body limit tests. */

export const FORM = 'application/x-www-form-urlencoded';
export const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** The token exchange's answer to a body over 16 KiB. */
export const OVER_16K = { error: 'invalid_request', error_description: 'the request body is over 16,384 bytes' };

/** A JSON object of exactly `bytes` bytes: a valid create body, padded with white space. */
export const paddedJson = (value: object, bytes: number) => {
  const text = JSON.stringify(value);
  return `${text.slice(0, -1)}${' '.repeat(bytes - text.length)}}`;
};

/** A token exchange form of exactly `bytes` bytes (`pad` fills it; the exchange ignores unknown parameters). */
export const paddedForm = (bytes: number, fields: Record<string, string> = {}) => {
  const form = new URLSearchParams({ grant_type: GRANT_TYPE, ...fields }).toString();
  return `${form}&pad=${'x'.repeat(bytes - form.length - 5)}`;
};
