CREATE TABLE "processed_events" (
	"queue" text NOT NULL,
	"event_id" uuid NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "processed_events_pkey" PRIMARY KEY("queue","event_id")
);
--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "confirmed_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "processed_events_processed_at_idx" ON "processed_events" USING btree ("processed_at");--> statement-breakpoint
CREATE INDEX "outbox_unconfirmed_idx" ON "outbox" USING btree ("id") WHERE "outbox"."sent_at" IS NOT NULL AND "outbox"."confirmed_at" IS NULL;--> statement-breakpoint
-- Rows sent before the reconciler existed count as delivered: re-checking them would re-run the
-- events of the last day whose completed jobs BullMQ has trimmed, with no inbox record to skip them.
UPDATE "outbox" SET "confirmed_at" = "sent_at" WHERE "sent_at" IS NOT NULL;
