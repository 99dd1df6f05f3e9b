import { Field, ObjectType } from 'type-graphql';
import { CurrencyCodeEnum } from './enums';

/** Money: exact integer rupiah as a decimal string (Shopify MoneyV2 convention), never a Float or Int. */
@ObjectType('Money', { simpleResolvers: true, description: 'An exact amount. `amount` is a decimal string of integer rupiah (IDR has no minor unit in use).' })
export class MoneyObject {
  @Field(() => String, { description: 'Integer rupiah as a decimal string (exact, never a float), e.g. "1000000" for IDR 1,000,000.' })
  amount!: string;

  @Field(() => CurrencyCodeEnum, { description: 'The currency of amount: always IDR.' })
  currency!: 'IDR';

  /** Wraps integer rupiah (zero, the most common amount of an answer, is one shared frozen object). */
  static of(rupiah: bigint): MoneyObject {
    if (rupiah === 0n) return ZERO;
    const m = new MoneyObject();
    m.amount = rupiah.toString();
    m.currency = 'IDR';
    return m;
  }
}

/** IDR 0, shared (frozen: nothing may change it). */
const ZERO: MoneyObject = Object.freeze(Object.assign(new MoneyObject(), { amount: '0', currency: 'IDR' as const }));
