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

  constructor(readonly row: Borrower) {}

  @Field(() => ID)
  get id(): string {
    return toGlobalId('Borrower', this.row.id);
  }

  @Field(() => DateTimeScalar, { description: 'When Satu Kredit first linked this borrower.' })
  get createdAt(): Date {
    return this.row.createdAt;
  }
}

@ObjectType('ProviderAccount', { description: "A borrower's linked account at one provider." })
export class ProviderAccountObject {
  @Field(() => ProviderEnum)
  provider!: string;

  @Field(() => DateTimeScalar)
  linkedAt!: Date;

  /** Our account id (not exposed). */
  accountId!: string;
}

export const { ConnectionType: BorrowerConnection, Edge: BorrowerEdge } = Connection('Borrower', BorrowerObject);
export type BorrowerConnection = InstanceType<typeof BorrowerConnection>;
