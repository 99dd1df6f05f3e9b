-- AlterTable
ALTER TABLE "ProviderSnapshot" ADD COLUMN     "eventAt" TIMESTAMPTZ(3);

