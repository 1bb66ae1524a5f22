/**
 * create_authentication_tokens and refresh_operation_token (HarperDB's JWT operations). Both
 * run without an Authorization header: the credentials are in the body, checked under the
 * same per-address failed-login limit as Basic auth.
 */
import { DbError, invalid } from '../../errors/db-error.js';
import type { Body, OperationContext } from '../context.js';
import type { OperationRegistry } from '../registry.js';

function field(body: Body, name: string): string {
  const v = body[name];
  if (v === undefined || v === null || v === '') throw invalid(`${name} is required`);
  if (typeof v !== 'string') throw invalid(`${name} must be a string`);
  return v;
}

async function createTokens(body: Body, ctx: OperationContext) {
  const username = field(body, 'username');
  const password = field(body, 'password');
  try {
    return await ctx.users.createTokens(username, password, ctx.remoteAddress);
  } catch (err) {
    if (err instanceof DbError && err.message === 'Login failed') throw new DbError('UNAUTHENTICATED', 'invalid credentials');
    throw err;
  }
}

export function registerTokenOperations(r: OperationRegistry): void {
  r.register({ name: 'create_authentication_tokens', superUserOnly: false, access: 'public', handler: createTokens });
  r.register({ name: 'refresh_operation_token', superUserOnly: false, access: 'public', handler: (b, ctx) => ctx.users.refreshOperationToken(field(b, 'refresh_token')) });
}
