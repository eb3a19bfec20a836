import { readConfig } from '../../shared/config.js';
import { signDevToken } from './dev-issuer.js';

/** `npm run -s dev-token -- <userId>`: prints a dev JWT for that user and nothing else. */
const userId = process.argv[2];
if (!userId || process.argv.length > 3) {
  console.error('Usage: npm run -s dev-token -- <userId>');
  process.exit(2);
}
const { jwt } = readConfig(process.env);
process.stdout.write(`${await signDevToken(userId, { issuer: jwt.issuer, audience: jwt.audience, userClaim: jwt.userClaim })}\n`);
