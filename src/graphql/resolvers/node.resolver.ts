/** Relay `node(id:)` refetch. */
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, ID, Info, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { fromGlobalId } from '../ids';
import { Node } from '../types/node.type';
import { loadBorrower } from './borrower.resolver';
import { loadLoan } from './loan.resolver';

@Resolver()
export class NodeResolver {
  @Authorized('credit:read')
  @Query(() => Node, { nullable: true, description: 'Any object by its global id; null when unknown. Needs `credit:read`.' })
  async node(@Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo, @Arg('id', () => ID) id: string): Promise<Node | null> {
    const g = fromGlobalId(id);
    if (!g) return null;
    return g.type === 'Borrower' ? loadBorrower(ctx, id) : loadLoan(ctx, id, info);
  }
}
