ALTER TABLE "outbox" ADD COLUMN "confirmed_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "outbox_unconfirmed_idx" ON "outbox" USING btree ("id") WHERE "outbox"."sent_at" IS NOT NULL AND "outbox"."confirmed_at" IS NULL;--> statement-breakpoint
-- Rows sent before the reconciler existed count as delivered: re-checking them would re-run the
-- events of the last day whose completed jobs BullMQ has trimmed, with no inbox record to skip them.
UPDATE "outbox" SET "confirmed_at" = "sent_at" WHERE "sent_at" IS NOT NULL;
