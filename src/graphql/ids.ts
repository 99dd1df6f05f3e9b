/**
 * Opaque global ids (Relay `Node`): base64url of a JSON array
 * `[typeName, ...parts]`: Borrower `[uuid]`, Loan `[account uuid, provider loan id]`, Repayment and Disbursement
 * `[account uuid, provider loan id, transaction id]`. A Consent's id is its UUID (the `consent_id` of the consent
 * page's redirect and of webhooks), also unique across types. Clients must treat them as opaque strings.
 */
import { GraphQLError } from 'graphql';
import { encodeGlobalId } from '../domain/ids';

/** The node types that have global ids. */
export type NodeType = 'Borrower' | 'Loan' | 'Repayment' | 'Disbursement';

const NODE_TYPES: ReadonlySet<string> = new Set<NodeType>(['Borrower', 'Loan', 'Repayment', 'Disbursement']);

/** Encodes a global id. */
export function toGlobalId(type: NodeType, ...parts: string[]): string {
  return encodeGlobalId(type, ...parts);
}

/**
 * Decodes a global id.
 * @returns null when the id is not one of ours (callers answer "not found", never a parse error that leaks structure).
 */
export function fromGlobalId(id: string): { type: NodeType; parts: string[] } | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(id, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v.length < 2 || !v.every((x) => typeof x === 'string')) return null;
    const [type, ...parts] = v as string[];
    if (!NODE_TYPES.has(type!)) return null;
    return { type: type as NodeType, parts };
  } catch {
    return null;
  }
}

/**
 * Decodes a global id of a given type.
 * @throws GraphQLError BAD_USER_INPUT when the id is not a `type` id.
 */
export function expectGlobalId(id: string, type: NodeType, argName = 'id'): string[] {
  const g = fromGlobalId(id);
  if (!g || g.type !== type) {
    throw new GraphQLError(`"${argName}" is not a ${type} id`, { extensions: { code: 'BAD_USER_INPUT', argumentName: argName } });
  }
  return g.parts;
}
