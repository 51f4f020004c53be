-- Satisfaction (api-v1.1.md section 3): the customer's latest rating of a resolution, on
-- the ticket it rates. Its history is the `satisfaction_rated` events.
ALTER TABLE tickets ADD COLUMN satisfaction_rating TEXT CHECK (satisfaction_rating IN ('good', 'bad'));
ALTER TABLE tickets ADD COLUMN satisfaction_comment TEXT;
ALTER TABLE tickets ADD COLUMN satisfaction_rated_at TEXT;
