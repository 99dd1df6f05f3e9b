import { Field, ID, ObjectType } from 'type-graphql';
import type { Borrower } from '../../generated/prisma/client';
import { toGlobalId } from '../ids';
import { DateTimeScalar } from '../scalars';
import { Connection } from './connection.type';
import { ProviderEnum } from './enums';
import { Node } from './node.type';

@ObjectType('Borrower', { implements: Node, description: 'One person or business, linked by Satu Kredit to their accounts at each provider.' })
export class BorrowerObject implements Node {
  readonly __typename = 'Borrower';

  // Plain properties with `simple`: graphql-js's default resolver (type-graphql wraps getters); no `@Authorized` here.
  @Field(() => ID, { simple: true, description: 'Opaque global id of the borrower (pass to `borrower(id:)`, `creditView(borrowerId:)`, `node(id:)`).' })
  readonly id: string;

  @Field(() => DateTimeScalar, { simple: true, description: 'When Satu Kredit first linked this borrower.' })
  readonly createdAt: Date;

  constructor(readonly row: Borrower) {
    this.id = toGlobalId('Borrower', row.id);
    this.createdAt = row.createdAt;
  }
}

@ObjectType('ProviderAccount', { description: "A borrower's linked account at one provider." })
export class ProviderAccountObject {
  @Field(() => ProviderEnum, { description: 'The provider the account is at.' })
  provider!: string;

  @Field(() => DateTimeScalar, { description: 'When the borrower proved the account and Satu Kredit linked it (on the consent page).' })
  linkedAt!: Date;

  /** Our account id (not exposed). */
  accountId!: string;
}

export const { ConnectionType: BorrowerConnection, Edge: BorrowerEdge } = Connection('Borrower', BorrowerObject, 'borrower');
export type BorrowerConnection = InstanceType<typeof BorrowerConnection>;
