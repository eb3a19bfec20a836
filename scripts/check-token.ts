import { readFileSync } from 'node:fs';
import { TOKEN_LENGTH, TOKEN_PREFIX, tokenShape } from '../shared/kernel/token-format.js';

/**
 * `npm run -s check-token -- <string>` (or `-` to read it from standard input, which keeps
 * it out of the shell's history): whether a string is well-formed as one of our tokens —
 * prefix, length, alphabet and checksum — offline, without any database. Well-formed
 * does not mean valid: only the service knows whether a token exists and is active.
 */
const usage = `Usage: npm run -s check-token -- <string>   (or - to read it from standard input)
A token is ${TOKEN_PREFIX} + 16 + 43 + 6 characters of 0-9 A-Z a-z (${TOKEN_LENGTH} in all), the last 6 a checksum.`;

function main(): number {
  const [argument, ...rest] = process.argv.slice(2);
  if (argument === undefined || rest.length > 0 || argument === '--help' || argument === '-h') {
    console.error(usage);
    return 2;
  }
  const value = argument === '-' ? readFileSync(0, 'utf8').trim() : argument;
  const shape = tokenShape(value);
  if (!shape.wellFormed) {
    console.error(`Not a well-formed token: it ${shape.problem}.`);
    return 1;
  }
  // The lookup id is not secret: it is the token's listed prefix, to find which token it is.
  console.log(
    `Well-formed: prefix, length and checksum are right. Its listed prefix is ${TOKEN_PREFIX}${shape.lookupId}.`,
  );
  return 0;
}

process.exit(main());
