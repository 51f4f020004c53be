ALTER TABLE tickets DROP COLUMN satisfaction_rated_at;
ALTER TABLE tickets DROP COLUMN satisfaction_comment;
ALTER TABLE tickets DROP COLUMN satisfaction_rating;
