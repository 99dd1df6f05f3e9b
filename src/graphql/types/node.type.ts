import { Field, ID, InterfaceType } from 'type-graphql';

/** Relay `Node`: an object with an opaque global id, refetchable with `node(id:)`. */
@InterfaceType('Node', {
  description: 'An object with an id unique across types, refetchable with `node(id:)` (Relay Global Object Identification).',
  resolveType: (value: { __typename?: string }) => value.__typename,
})
export abstract class Node {
  @Field(() => ID, { description: "Opaque id, unique across types: pass to `node(id:)`. Treat it as an opaque string (a Consent's is its UUID, the others are encoded)." })
  id!: string;
}
