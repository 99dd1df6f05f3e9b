/**
 * Custom scalars. `Date` is a calendar date in Asia/Jakarta (`YYYY-MM-DD`),
 * kept as a string end to end so no time zone can shift it. `DateTime` is an
 * instant, serialized as ISO-8601 with the +07:00 (WIB) offset.
 */
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { isLocalDate, parseInstant, toJakartaIso } from '../domain/dates';

function badDate(v: unknown): GraphQLError {
  return new GraphQLError(`Date must be a YYYY-MM-DD calendar date, got ${JSON.stringify(v)}`, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** `Date`: Jakarta calendar date, `YYYY-MM-DD`. */
export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: 'A calendar date in Asia/Jakarta (WIB), formatted YYYY-MM-DD (RFC 3339 full-date). Due dates: an installment due on a date is overdue from 00:00 WIB the next day.',
  specifiedByURL: 'https://www.rfc-editor.org/rfc/rfc3339#section-5.6',
  serialize(v) {
    if (typeof v === 'string' && isLocalDate(v)) return v;
    throw badDate(v);
  },
  parseValue(v) {
    if (typeof v === 'string' && isLocalDate(v)) return v;
    throw badDate(v);
  },
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING && isLocalDate(ast.value)) return ast.value;
    throw badDate(ast.kind === Kind.STRING ? ast.value : ast.kind);
  },
});

function parseDateTime(v: unknown): Date {
  if (typeof v !== 'string') throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'BAD_USER_INPUT' } });
  try {
    return parseInstant(v);
  } catch {
    throw new GraphQLError('DateTime must be an ISO-8601 string with offset', { extensions: { code: 'BAD_USER_INPUT' } });
  }
}

/** `DateTime`: an instant, ISO-8601 with offset; output in WIB (+07:00). */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant, RFC 3339 date-time (ISO-8601) with offset, to the millisecond. Output is in Asia/Jakarta (+07:00); input may use any offset.',
  specifiedByURL: 'https://www.rfc-editor.org/rfc/rfc3339#section-5.6',
  serialize(v) {
    if (v instanceof Date && !Number.isNaN(v.getTime())) return toJakartaIso(v);
    throw new GraphQLError('DateTime value is not a Date');
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    return parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined);
  },
});
