/** Relay `node(id:)` refetch. */
import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { fromGlobalId } from '../ids';
import { Node } from '../types/node.type';
import { loadBorrower } from './borrower.resolver';
import { requireScope } from './guard';
import { loadLoan } from './loan.resolver';

@Resolver()
export class NodeResolver {
  @Query(() => Node, { nullable: true, description: 'Any object by its global id; null when unknown. Needs `credit:read`.' })
  async node(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Node | null> {
    requireScope(ctx, 'credit:read');
    const g = fromGlobalId(id);
    if (!g) return null;
    return g.type === 'Borrower' ? loadBorrower(ctx, id) : loadLoan(ctx, id);
  }
}
