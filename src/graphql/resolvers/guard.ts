/** Scope checks shared by resolvers. */
import type { Scope } from '../../auth';
import type { GraphQLContext } from '../context';
import { ForbiddenError } from '../errors';

/**
 * Asserts the caller's token carries `scope`.
 * @throws ForbiddenError (`FORBIDDEN`) when it does not.
 */
export function requireScope(ctx: GraphQLContext, scope: Scope): void {
  if (!ctx.client.scopes.has(scope)) throw new ForbiddenError(scope);
}
