-- Two data domains a consent can cover: CREDIT_SCORE (a provider's credit score of the borrower, Finfra
-- `user_credit_score`) and FUNDING (the borrower's positions as a lender, Cairin's funding product).
ALTER TYPE "ConsentDomain" ADD VALUE IF NOT EXISTS 'CREDIT_SCORE';
ALTER TYPE "ConsentDomain" ADD VALUE IF NOT EXISTS 'FUNDING';
