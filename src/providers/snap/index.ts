/**
 * The banks' SNAP (Bank Indonesia) VA payment notifications that settle repayments: wire schemas,
 * signatures and the callback routes. Not a provider: settlements confirm money any provider reported.
 */
export { snapSettlements } from './callbacks';
export { SNAP_BANKS, type SnapBank, type SnapBankConfig, SnapPaymentNotification, snapCode, stringToSign, verifySignature } from './wire';
